using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Mnemo.Emulator;

/// <summary>
/// Represents what the emulator's scripted assistant says: conversations of turns played in order, chosen by the first
/// user message, and rules that answer the last user message wherever it comes.
/// </summary>
/// <remarks>
/// <para>A script is JSON or YAML (see docs/emulator.md). Reading it checks every field and names the place of the first
/// problem, such as <c>conversations.0.turns.2.tool_use.0.input: expected an object</c>.</para>
/// <para>Immutable and thread-safe.</para>
/// </remarks>
public sealed class AssistantScript
{
    private AssistantScript(string? model, IReadOnlyList<ScriptConversation> conversations, IReadOnlyList<ScriptRule> rules)
    {
        Model = model;
        Conversations = conversations;
        Rules = rules;
    }

    /// <summary>Gets the model name the responses report; the request's own when <see langword="null"/>.</summary>
    public string? Model { get; }

    /// <summary>Gets the summary every compaction (<c>compact_20260112</c>) returns; <see langword="null"/> to extract one
    /// from the conversation.</summary>
    public string? CompactionSummary { get; private init; }

    /// <summary>Gets the conversations, in the order they are tried against a request's first user message.</summary>
    public IReadOnlyList<ScriptConversation> Conversations { get; }

    /// <summary>Gets the rules, in the order they are tried against a request's last user message.</summary>
    public IReadOnlyList<ScriptRule> Rules { get; }

    /// <summary>Reads a script file; YAML when its name ends in <c>.yaml</c> or <c>.yml</c>, else JSON.</summary>
    /// <exception cref="ScriptFormatException">The file is not a valid script; the message says where.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static async Task<AssistantScript> LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var text = await File.ReadAllTextAsync(path, Encoding.UTF8, cancellationToken).ConfigureAwait(false);
        var yaml = path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);
        return yaml ? ParseYaml(text) : ParseJson(text);
    }

    /// <summary>Reads a script from JSON text.</summary>
    /// <exception cref="ScriptFormatException">The text is not a valid script; the message says where.</exception>
    public static AssistantScript ParseJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            root = document.RootElement.Clone();
        }
        catch (JsonException exception)
        {
            throw new ScriptFormatException(
                string.Create(CultureInfo.InvariantCulture, $"not valid JSON at line {exception.LineNumber + 1}, byte {exception.BytePositionInLine + 1}"),
                exception);
        }

        return FromJson(root);
    }

    /// <summary>Reads a script from YAML text.</summary>
    /// <exception cref="ScriptFormatException">The text is not a valid script; the message says where.</exception>
    public static AssistantScript ParseYaml(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        return FromJson(YamlJson.Convert(yaml));
    }

    /// <summary>Reads a script from its JSON form.</summary>
    /// <exception cref="ScriptFormatException">The JSON is not a valid script; the message says where.</exception>
    public static AssistantScript FromJson(JsonElement json)
    {
        var root = new Reader(json, "script");
        root.Allow("model", "conversations", "turns", "rules", "compaction_summary");
        var model = root.OptionalString("model");
        var compactionSummary = root.OptionalString("compaction_summary");
        var conversations = new List<ScriptConversation>();
        if (root.Optional("conversations") is { } list)
        {
            foreach (var item in list.Items())
            {
                conversations.Add(ReadConversation(item));
            }
        }

        if (root.Optional("turns") is { } turns)
        {
            // The top-level turns are one conversation for any request, tried after the named ones.
            conversations.Add(new ScriptConversation(null, null, ReadTurns(turns)));
        }

        var rules = new List<ScriptRule>();
        if (root.Optional("rules") is { } ruleList)
        {
            foreach (var item in ruleList.Items())
            {
                item.Allow("match", "match_regex", "reply");
                var match = ReadMatch(item) ?? throw item.Error("a rule needs match or match_regex");
                rules.Add(new ScriptRule(match, ReadTurn(item.Required("reply"))));
            }
        }

        if (conversations.Count == 0 && rules.Count == 0)
        {
            throw new ScriptFormatException("script: no turns, conversations or rules; the assistant would have nothing to say");
        }

        if (compactionSummary is { Length: 0 })
        {
            throw new ScriptFormatException("script.compaction_summary: must not be empty (leave it out to extract summaries)");
        }

        return new AssistantScript(model, conversations, rules) { CompactionSummary = compactionSummary };
    }

    private static ScriptConversation ReadConversation(Reader item)
    {
        item.Allow("name", "match", "match_regex", "turns");
        return new ScriptConversation(item.OptionalString("name"), ReadMatch(item), ReadTurns(item.Required("turns")));
    }

    private static ScriptMatch? ReadMatch(Reader item, string name = "match")
    {
        var contains = item.OptionalString(name);
        var pattern = item.OptionalString(name + "_regex");
        if (contains is not null && pattern is not null)
        {
            throw item.Error($"give {name} or {name}_regex, not both");
        }

        if (contains is not null)
        {
            return contains.Length == 0 ? throw item.Error($"{name}: must not be empty") : new ScriptMatch(contains, null);
        }

        if (pattern is null)
        {
            return null;
        }

        try
        {
            return new ScriptMatch(pattern, new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)));
        }
        catch (ArgumentException exception)
        {
            throw item.Error($"{name}_regex: not a valid regular expression ({exception.Message})");
        }
    }

    private static List<ScriptedTurn> ReadTurns(Reader list)
    {
        var turns = new List<ScriptedTurn>();
        foreach (var item in list.Items())
        {
            turns.Add(ReadTurn(item, inConversation: true));
        }

        return turns;
    }

    private static ScriptedTurn ReadTurn(Reader item, bool inConversation = false)
    {
        if (item.Json.ValueKind == JsonValueKind.String)
        {
            return new ScriptedTurn { Text = item.Json.GetString() };
        }

        if (!inConversation)
        {
            item.Allow("text", "thinking", "tool_use", "content", "stop_reason", "error", "delay_ms");
            return ReadTurnBody(item);
        }

        item.Allow("text", "thinking", "tool_use", "content", "stop_reason", "error", "delay_ms", "when", "when_regex", "otherwise");
        var when = ReadMatch(item, "when");
        var otherwise = item.Optional("otherwise");
        return (when, otherwise) switch
        {
            (null, null) => ReadTurnBody(item),
            (null, _) => throw item.Error("otherwise goes with when (or when_regex)"),

            // A turn with two forms: this one when the last user message matches, the other one otherwise.
            (_, null) => throw item.Error("a turn with when needs otherwise: the turn to play when the last user message does not match"),
            _ => ReadTurnBody(item) with { When = when, Otherwise = ReadTurn(otherwise) },
        };
    }

    private static ScriptedTurn ReadTurnBody(Reader item)
    {
        var turn = new ScriptedTurn
        {
            Text = item.OptionalString("text"),
            Thinking = item.OptionalString("thinking"),
            StopReason = item.OptionalString("stop_reason"),
            DelayMilliseconds = item.OptionalInt("delay_ms") ?? 0,
        };
        if (turn.StopReason is not null && !StopReasons.Contains(turn.StopReason))
        {
            throw item.At("stop_reason").Error($"expected one of {string.Join(", ", StopReasons)}, got \"{turn.StopReason}\"");
        }

        if (item.Optional("tool_use") is { } toolUse)
        {
            var uses = new List<ScriptedToolUse>();
            foreach (var use in toolUse.Json.ValueKind == JsonValueKind.Object ? [toolUse] : toolUse.Items())
            {
                use.Allow("name", "input", "id");
                var input = use.Optional("input");
                if (input is not null && input.Json.ValueKind != JsonValueKind.Object)
                {
                    throw input.Error($"expected an object, got {Describe(input.Json.ValueKind)}");
                }

                uses.Add(new ScriptedToolUse(use.RequiredString("name"), input?.Json ?? EmptyObject, use.OptionalString("id")));
            }

            turn = turn with { ToolUses = uses };
        }

        if (item.Optional("content") is { } content)
        {
            if (turn.Text is not null || turn.Thinking is not null || turn.ToolUses.Count > 0)
            {
                throw item.Error("content gives the blocks as they are; it cannot be combined with text, thinking or tool_use");
            }

            foreach (var block in content.Items())
            {
                if (block.Json.ValueKind != JsonValueKind.Object || !block.Json.TryGetProperty("type", out var type) ||
                    type.ValueKind != JsonValueKind.String)
                {
                    throw block.Error("expected a content block object with a type");
                }
            }

            turn = turn with { Content = content.Json };
        }

        if (item.Optional("error") is { } error)
        {
            error.Allow("status", "type", "message", "during_stream");
            var status = error.OptionalInt("status") ?? 500;
            if (status is < 400 or > 599)
            {
                throw error.At("status").Error("expected an HTTP error status, 400 to 599");
            }

            turn = turn with
            {
                Error = new ScriptedError(status, error.OptionalString("type") ?? ApiErrors.TypeFor(status),
                    error.OptionalString("message") ?? "scripted error", error.OptionalBool("during_stream") ?? false),
            };
        }

        if (turn is { Text: null, Thinking: null, ToolUses.Count: 0, Content: null, Error: null, StopReason: null })
        {
            throw item.Error("a turn needs text, thinking, tool_use, content or error");
        }

        return turn;
    }

    internal static readonly string[] StopReasons = ["end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal"];

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    private static string Describe(JsonValueKind kind) => JsonKinds.Describe(kind);

    /// <summary>Walks the script's JSON, knowing where it is for error messages.</summary>
    private sealed class Reader(JsonElement json, string path)
    {
        public JsonElement Json { get; } = json;

        public ScriptFormatException Error(string message) => new($"{path}: {message}");

        public Reader At(string name) => new(default, $"{path}.{name}");

        public void Allow(params string[] names)
        {
            if (Json.ValueKind != JsonValueKind.Object)
            {
                throw Error($"expected an object, got {Describe(Json.ValueKind)}");
            }

            foreach (var property in Json.EnumerateObject())
            {
                if (Array.IndexOf(names, property.Name) < 0)
                {
                    throw Error($"unknown field \"{property.Name}\"; expected one of {string.Join(", ", names)}");
                }
            }
        }

        public Reader? Optional(string name) =>
            Json.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? new Reader(value, $"{path}.{name}") : null;

        public Reader Required(string name) => Optional(name) ?? throw Error($"{name} is required");

        public string? OptionalString(string name)
        {
            if (Optional(name) is not { } value)
            {
                return null;
            }

            return value.Json.ValueKind == JsonValueKind.String
                ? value.Json.GetString()
                : throw value.Error($"expected a string, got {Describe(value.Json.ValueKind)}");
        }

        public string RequiredString(string name) => OptionalString(name) ?? throw Error($"{name} is required");

        public int? OptionalInt(string name)
        {
            if (Optional(name) is not { } value)
            {
                return null;
            }

            return value.Json.ValueKind == JsonValueKind.Number && value.Json.TryGetInt32(out var number) && number >= 0
                ? number
                : throw value.Error("expected a whole number, 0 or more");
        }

        public bool? OptionalBool(string name)
        {
            if (Optional(name) is not { } value)
            {
                return null;
            }

            return value.Json.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw value.Error($"expected true or false, got {Describe(value.Json.ValueKind)}"),
            };
        }

        public IEnumerable<Reader> Items()
        {
            if (Json.ValueKind != JsonValueKind.Array)
            {
                throw Error($"expected a list, got {Describe(Json.ValueKind)}");
            }

            var i = 0;
            foreach (var item in Json.EnumerateArray())
            {
                yield return new Reader(item, string.Create(CultureInfo.InvariantCulture, $"{path}.{i++}"));
            }
        }
    }
}
