using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Mnemo.Context;

/// <summary>Summarises one tool result in a few lines, for a digest of what a clearing took.</summary>
public interface IToolResultSummarizer
{
    /// <summary>Summarises a result.</summary>
    /// <param name="tool">The tool's name.</param>
    /// <param name="input">The call's input.</param>
    /// <param name="text">The result's text.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The summary: lines of text.</returns>
    ValueTask<string> SummarizeAsync(string tool, JsonElement input, string text, CancellationToken cancellationToken = default);
}

/// <summary>Summarises a tool result without a model, deterministically, by keeping the lines that say most: its first and
/// last lines, headings, definitions (functions, classes, methods), and lines that report errors, failures, warnings,
/// TODOs or decisions; in their order, up to <see cref="MaxLines"/>, each cut at <see cref="MaxLineLength"/>. JSON is
/// described by its shape (its keys, and how many items its lists hold). A last line lists the names the result uses
/// most (up to <see cref="MaxNames"/>), what one searches for later.</summary>
public sealed partial class ExtractiveToolResultSummarizer : IToolResultSummarizer
{
    /// <summary>The summariser with its defaults.</summary>
    public static ExtractiveToolResultSummarizer Instance { get; } = new();

    /// <summary>Gets the most lines a summary keeps; 12 by default.</summary>
    public int MaxLines { get; init; } = 12;

    /// <summary>Gets the most characters a kept line keeps; 160 by default.</summary>
    public int MaxLineLength { get; init; } = 160;

    /// <summary>Gets the most names the last line lists; 24 by default.</summary>
    public int MaxNames { get; init; } = 24;

    private static readonly HashSet<string> CommonWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "the", "and", "for", "with", "this", "that", "from", "not", "are", "was", "you", "but", "all", "any", "can", "has",
        "have", "its", "into", "one", "out", "when", "then", "than", "which", "will", "your", "our", "true", "false", "null",
        "none", "return", "def", "class", "public", "private", "static", "void", "var", "let", "const", "string", "int",
        "new", "use", "using", "import", "else", "elif", "while", "self", "async", "await", "readonly", "internal",
    };

    /// <inheritdoc/>
    public ValueTask<string> SummarizeAsync(string tool, JsonElement input, string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        return ValueTask.FromResult(Summarize(text));
    }

    /// <summary>Summarises a text.</summary>
    public string Summarize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.TrimStart();
        if ((trimmed.StartsWith('{') || trimmed.StartsWith('[')) && Shape(text) is { } shape)
        {
            return shape + Names(text);
        }

        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var nonEmpty = Enumerable.Range(0, lines.Length).Where(i => lines[i].Trim().Length > 0).ToList();
        if (nonEmpty.Count == 0)
        {
            return "(empty)";
        }

        // Ranked: first and last lines, then errors and decisions, then headings and definitions, each in order of appearance.
        var chosen = new SortedSet<int> { nonEmpty[0] };
        if (MaxLines > 1)
        {
            chosen.Add(nonEmpty[^1]);
        }

        foreach (var pattern in new[] { Notable(), Heading(), Definition() })
        {
            foreach (var i in nonEmpty)
            {
                if (chosen.Count >= MaxLines)
                {
                    break;
                }

                if (pattern.IsMatch(lines[i]))
                {
                    chosen.Add(i);
                }
            }
        }

        var summary = new StringBuilder();
        var last = -1;
        foreach (var i in chosen)
        {
            if (last >= 0 && i > last + 1)
            {
                summary.Append("…\n");
            }

            var line = lines[i].TrimEnd();
            summary.Append(line.Length > MaxLineLength ? string.Concat(line.AsSpan(0, MaxLineLength), "…") : line).Append('\n');
            last = i;
        }

        summary.Append(System.Globalization.CultureInfo.InvariantCulture, $"({chosen.Count} of {nonEmpty.Count} non-empty lines kept)");
        return summary.Append(Names(text)).ToString();
    }

    /// <summary>A last line of the names the text uses most, most used first; empty when it uses none.</summary>
    private string Names(string text)
    {
        var counts = new Dictionary<string, (int Count, int First)>(StringComparer.Ordinal);
        var order = 0;
        foreach (Match match in Identifier().Matches(text))
        {
            if (CommonWords.Contains(match.Value))
            {
                continue;
            }

            counts[match.Value] = counts.TryGetValue(match.Value, out var seen) ? (seen.Count + 1, seen.First) : (1, order++);
        }

        return counts.Count == 0
            ? string.Empty
            : "\nnames: " + string.Join(", ", counts.OrderByDescending(pair => pair.Value.Count).ThenBy(pair => pair.Value.First).Take(MaxNames).Select(pair => pair.Key));
    }

    /// <summary>JSON described by its shape: its kind, its keys to two levels, and how many items its lists hold;
    /// <see langword="null"/> when the text is not JSON.</summary>
    private string? Shape(string text)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(text);
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }

        var lines = new List<string>();
        void Describe(JsonElement value, string at, int depth)
        {
            if (lines.Count >= MaxLines)
            {
                return;
            }

            switch (value.ValueKind)
            {
                case JsonValueKind.Object:
                    var keys = value.EnumerateObject().Select(property => property.Name).ToList();
                    lines.Add(Cut(System.FormattableString.Invariant($"{at}: an object of {keys.Count} key(s): {string.Join(", ", keys)}")));
                    if (depth < 2)
                    {
                        foreach (var property in value.EnumerateObject().Where(p => p.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array))
                        {
                            Describe(property.Value, at + "." + property.Name, depth + 1);
                        }
                    }

                    break;
                case JsonValueKind.Array:
                    var count = value.GetArrayLength();
                    lines.Add(Cut(System.FormattableString.Invariant($"{at}: a list of {count} item(s)")));
                    if (count > 0 && depth < 2)
                    {
                        Describe(value[0], at + "[0]", depth + 1);
                    }

                    break;
            }
        }

        Describe(root, "$", 0);
        return lines.Count == 0 ? Cut(text.Trim()) : string.Join('\n', lines);
    }

    private string Cut(string line) => line.Length > MaxLineLength ? string.Concat(line.AsSpan(0, MaxLineLength), "…") : line;

    /// <summary>The share of a text's identifiers (names of three characters or more) that its summary still holds: how
    /// much of what one would search for later survives.</summary>
    /// <returns>The share, from 0 to 1; <see langword="null"/> when the text has no such names.</returns>
    public static double? IdentifierSurvival(string text, string summary)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(summary);
        var names = Identifier().Matches(text).Select(match => match.Value).ToHashSet(StringComparer.Ordinal);
        if (names.Count == 0)
        {
            return null;
        }

        var kept = Identifier().Matches(summary).Select(match => match.Value).ToHashSet(StringComparer.Ordinal);
        return names.Count(kept.Contains) / (double)names.Count;
    }

    [GeneratedRegex(@"\b(error|errors|exception|fail(ed|s|ure)?|warning|todo|fixme|bug|decid(e|ed|ing)|decision|must|never|deprecated)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Notable();

    [GeneratedRegex(@"^\s*(#{1,6}\s|==|\[[^\]]+\]\s*$|[A-Z][A-Za-z ]{2,40}:\s*$)", RegexOptions.CultureInvariant)]
    private static partial Regex Heading();

    [GeneratedRegex(@"^\s*(\d+\t\s*)?(export\s+)?(async\s+)?(def|class|function|func|fn|interface|struct|enum|record|public|private|protected|internal|static|CREATE\s+TABLE)\b", RegexOptions.CultureInvariant)]
    private static partial Regex Definition();

    [GeneratedRegex(@"[A-Za-z_][A-Za-z0-9_]{2,}", RegexOptions.CultureInvariant)]
    private static partial Regex Identifier();
}

/// <summary>Summarises a tool result through a model, through any <see cref="IChatClient"/> (a cheaper model than the
/// agent's is the usual choice).</summary>
/// <param name="client">The client to ask.</param>
/// <param name="options">Options of the request (model, output limit); <see langword="null"/> for the client's.</param>
public sealed class ChatClientToolResultSummarizer(IChatClient client, ChatOptions? options = null) : IToolResultSummarizer
{
    /// <summary>What the model is asked.</summary>
    public const string Prompt =
        "Summarise this tool result in at most 8 short lines for an agent that will no longer see it: what it shows, " +
        "every name, number, path and error it may need later, and any decision it supports. Write only the summary.";

    private readonly IChatClient _client = client ?? throw new ArgumentNullException(nameof(client));

    /// <inheritdoc/>
    public async ValueTask<string> SummarizeAsync(string tool, JsonElement input, string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        var call = input.ValueKind == JsonValueKind.Undefined ? "{}" : input.GetRawText();
        var response = await _client.GetResponseAsync(
            [new ChatMessage(ChatRole.User, $"Tool: {tool}\nInput: {call}\nResult:\n{text}\n\n{Prompt}")], options, cancellationToken).ConfigureAwait(false);
        return string.IsNullOrWhiteSpace(response.Text) ? ExtractiveToolResultSummarizer.Instance.Summarize(text) : response.Text.Trim();
    }
}
