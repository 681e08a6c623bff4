using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Mnemo.Emulator;

/// <summary>The turn the script gives a request, and where it comes from.</summary>
/// <param name="Turn">The scripted turn.</param>
/// <param name="Source">Where it comes from, for logs: <c>conversation "x" turn 2</c> or <c>rule 1</c>.</param>
/// <param name="Seed">What the message id is derived from: the conversation and the place in it.</param>
/// <param name="ToolIds">The ids of the turn's tool calls, in order.</param>
internal sealed record ScriptSelection(ScriptedTurn Turn, string Source, string Seed, IReadOnlyList<string> ToolIds);

/// <summary>
/// Chooses the scripted turn that answers a request, from the request alone: the same request always gets the same
/// turn, so retries are safe and any number of conversations can run at once.
/// </summary>
/// <remarks>
/// A rule answers when the last user message's text matches it. Otherwise the conversation whose match fits the first
/// user message plays its next turn: the first of its turns not yet in the request. A turn is in the request when an
/// assistant message holds its first tool call's id (ids are derived from the conversation and the turn, so they are
/// recognised exactly) or, for a turn without tool calls, its text. Assistant messages the script did not write, such as
/// a history a test builds by hand, are passed over. A turn with two forms (<c>when</c> and <c>otherwise</c>) plays its
/// first form when the last user message matches, before any rule, and its other form otherwise; either one counts as the
/// turn played.
/// </remarks>
internal sealed class ScriptedAssistant(AssistantScript? script)
{
    public ScriptSelection Select(IReadOnlyList<JsonElement> messages)
    {
        if (script is null)
        {
            throw ApiErrorException.InvalidRequest(
                "mnemo emulator: no script is loaded, so the assistant has nothing to say; start the emulator with --script FILE (see docs/emulator.md)");
        }

        // A trailing assistant message is a prefill the reply continues, not a turn of the script.
        var count = messages.Count > 0 && Role(messages[^1]) == "assistant" ? messages.Count - 1 : messages.Count;
        string? firstUser = null;
        string? lastUser = null;
        for (var i = 0; i < count; i++)
        {
            if (Role(messages[i]) == "user")
            {
                lastUser = Text(messages[i]);
                firstUser ??= lastUser;
            }
            else if (Role(messages[i]) == "system")
            {
                // An instruction given mid-conversation is what the next reply answers to, as a user's words are.
                lastUser = Text(messages[i]);
            }
        }

        firstUser ??= string.Empty;
        var seedBase = Hash(firstUser);
        var next = NextTurn(messages, count, firstUser, seedBase);

        // A turn that answers what the user just said comes before the rules: it is the more particular answer.
        if (next is { Turn.When: { } when } && lastUser is not null && when.IsMatch(lastUser))
        {
            return new ScriptSelection(next.Turn, next.Source + " (when)", next.Seed, ToolIds(next.Turn, next.Seed));
        }

        if (lastUser is not null && RuleFor(lastUser) is { } rule)
        {
            var index = IndexOf(script.Rules, rule);
            var seed = Format($"{seedBase}/rule{index}/{count}");
            return new ScriptSelection(rule.Reply, Format($"rule {index}"), seed, ToolIds(rule.Reply, seed));
        }

        if (next is null)
        {
            throw ApiErrorException.InvalidRequest(Format(
                $"mnemo emulator script: no conversation matches the first user message ({Quote(firstUser)}) and no rule matches the last ({Quote(lastUser ?? string.Empty)})"));
        }

        if (next.Turn is null)
        {
            throw ApiErrorException.InvalidRequest(Format(
                $"mnemo emulator script: conversation {next.Source} has played all {next.Played} of its turns; no rule matches the last user message ({Quote(lastUser ?? string.Empty)})"));
        }

        if (next.Turn.Otherwise is { } otherwise)
        {
            var seed = OtherwiseSeed(next.Seed);
            return new ScriptSelection(otherwise, next.Source + " (otherwise)", seed, ToolIds(otherwise, seed));
        }

        return new ScriptSelection(next.Turn, next.Source, next.Seed, ToolIds(next.Turn, next.Seed));
    }

    /// <summary>The conversation whose match fits the first user message, and its next turn: the first not yet in the
    /// request (in either of its forms); <see langword="null"/> when no conversation matches.</summary>
    private NextScriptTurn? NextTurn(IReadOnlyList<JsonElement> messages, int count, string firstUser, string seedBase)
    {
        var conversationIndex = -1;
        for (var c = 0; c < script!.Conversations.Count; c++)
        {
            if (script.Conversations[c].Match is not { } match || match.IsMatch(firstUser))
            {
                conversationIndex = c;
                break;
            }
        }

        if (conversationIndex < 0)
        {
            return null;
        }

        var conversation = script.Conversations[conversationIndex];
        var played = 0;
        for (var i = 0; i < count && played < conversation.Turns.Count; i++)
        {
            var turn = conversation.Turns[played];
            var seed = TurnSeed(seedBase, conversationIndex, played);
            if (Role(messages[i]) == "assistant" &&
                (IsTurn(messages[i], turn, ToolIds(turn, seed)) ||
                 (turn.Otherwise is { } otherwise && IsTurn(messages[i], otherwise, ToolIds(otherwise, OtherwiseSeed(seed))))))
            {
                played++;
            }
        }

        var name = conversation.Name is { } n ? $"\"{n}\"" : conversationIndex.ToString(CultureInfo.InvariantCulture);
        return played >= conversation.Turns.Count
            ? new NextScriptTurn(null, name, string.Empty, played)
            : new NextScriptTurn(conversation.Turns[played], Format($"conversation {name} turn {played + 1}"), TurnSeed(seedBase, conversationIndex, played), played);
    }

    private static string OtherwiseSeed(string seed) => seed + "/otherwise";

    private static string TurnSeed(string seedBase, int conversation, int turn) => Format($"{seedBase}/{conversation}/{turn}");

    /// <summary>The ids of a turn's tool calls: those the script gives, else derived from the turn's seed.</summary>
    private static string[] ToolIds(ScriptedTurn turn, string seed)
    {
        if (turn.Content is { } content)
        {
            var ids = new List<string>();
            foreach (var block in content.EnumerateArray())
            {
                if (block.GetProperty("type"u8).ValueEquals("tool_use"u8))
                {
                    ids.Add(block.TryGetProperty("id"u8, out var id) && id.ValueKind == JsonValueKind.String
                        ? id.GetString()!
                        : EmulatorIds.Derived("toolu_01", Format($"{seed}/{ids.Count}")));
                }
            }

            return [.. ids];
        }

        var result = new string[turn.ToolUses.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = turn.ToolUses[i].Id ?? EmulatorIds.Derived("toolu_01", Format($"{seed}/{i}"));
        }

        return result;
    }

    /// <summary>Whether an assistant message is the scripted turn: it holds the turn's first tool call, or its text.</summary>
    private static bool IsTurn(JsonElement message, ScriptedTurn turn, string[] toolIds)
    {
        if (!message.TryGetProperty("content"u8, out var content))
        {
            return false;
        }

        if (toolIds.Length > 0)
        {
            return content.ValueKind == JsonValueKind.Array && content.EnumerateArray().Any(block =>
                block.ValueKind == JsonValueKind.Object && block.TryGetProperty("type"u8, out var type) && type.ValueEquals("tool_use"u8) &&
                block.TryGetProperty("id"u8, out var id) && id.ValueEquals(toolIds[0]));
        }

        var expected = turn.Text ?? FirstText(turn.Content);
        var text = Text(message);

        // A reply cut short by max_tokens or a stop sequence is still the turn.
        return !string.IsNullOrEmpty(expected) && text.Length > 0 && expected.StartsWith(text, StringComparison.Ordinal);
    }

    private static string? FirstText(JsonElement? content) =>
        content?.EnumerateArray().Where(block => block.GetProperty("type"u8).ValueEquals("text"u8) && block.TryGetProperty("text"u8, out _))
            .Select(block => block.GetProperty("text"u8).GetString()).FirstOrDefault();

    private ScriptRule? RuleFor(string userText)
    {
        foreach (var rule in script!.Rules)
        {
            if (rule.Match.IsMatch(userText))
            {
                return rule;
            }
        }

        return null;
    }

    /// <summary>A message's role, or an empty string.</summary>
    internal static string Role(JsonElement message) =>
        message.ValueKind == JsonValueKind.Object && message.TryGetProperty("role"u8, out var role) && role.ValueKind == JsonValueKind.String
            ? role.GetString()!
            : string.Empty;

    /// <summary>The text a user wrote in a message: a string content, or its text blocks joined by line breaks.</summary>
    internal static string Text(JsonElement message)
    {
        if (!message.TryGetProperty("content"u8, out var content))
        {
            return string.Empty;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        var text = new StringBuilder();
        if (content.ValueKind == JsonValueKind.Array)
        {
            foreach (var block in content.EnumerateArray())
            {
                if (block.ValueKind == JsonValueKind.Object && block.TryGetProperty("type"u8, out var type) && type.ValueEquals("text"u8) &&
                    block.TryGetProperty("text"u8, out var value) && value.ValueKind == JsonValueKind.String)
                {
                    text.Append(text.Length > 0 ? "\n" : string.Empty).Append(value.GetString());
                }
            }
        }

        return text.ToString();
    }

    private static int IndexOf(IReadOnlyList<ScriptRule> rules, ScriptRule rule)
    {
        for (var i = 0; i < rules.Count; i++)
        {
            if (ReferenceEquals(rules[i], rule))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>A conversation's next turn (<see langword="null"/> when all are played), where it is, and how many came before.</summary>
    private sealed record NextScriptTurn(ScriptedTurn? Turn, string Source, string Seed, int Played);

    private static string Quote(string text)
    {
        var line = text.ReplaceLineEndings(" ");
        return line.Length <= 80 ? $"\"{line}\"" : $"\"{line[..77]}...\"";
    }

    private static string Hash(string text) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
