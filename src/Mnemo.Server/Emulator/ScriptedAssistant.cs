using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Mnemo.Server.Emulator;

/// <summary>The turn the script gives a request, and where it comes from.</summary>
/// <param name="Turn">The scripted turn.</param>
/// <param name="Source">Where it comes from, for logs: <c>conversation "x" turn 2</c> or <c>rule 1</c>.</param>
/// <param name="Seed">What the turn's ids are derived from: the conversation and the place in it.</param>
internal sealed record ScriptSelection(ScriptedTurn Turn, string Source, string Seed);

/// <summary>
/// Chooses the scripted turn that answers a request, from the request alone: the same request always gets the same
/// turn, so retries are safe and any number of conversations can run at once.
/// </summary>
/// <remarks>
/// A rule answers when the last user message's text matches it. Otherwise the conversation whose match fits the first
/// user message plays its next turn: the turn after those already in the request, counting the assistant messages that
/// no rule answered (a rule answered one when the user message before it matches the rule).
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
        var played = 0;
        for (var i = 0; i < count; i++)
        {
            if (Role(messages[i]) == "user")
            {
                lastUser = Text(messages[i]);
                firstUser ??= lastUser;
            }
            else if (lastUser is null || RuleFor(lastUser) is null)
            {
                played++;
            }
        }

        var seedBase = Hash(messages.Count > 0 ? messages[0].GetRawText() : string.Empty);
        if (lastUser is not null && RuleFor(lastUser) is { } rule)
        {
            var index = IndexOf(script.Rules, rule);
            return new ScriptSelection(rule.Reply, Format($"rule {index}"), Format($"{seedBase}/rule{index}/{count}"));
        }

        firstUser ??= string.Empty;
        var conversationIndex = -1;
        for (var c = 0; c < script.Conversations.Count; c++)
        {
            if (script.Conversations[c].Match is not { } match || match.IsMatch(firstUser))
            {
                conversationIndex = c;
                break;
            }
        }

        if (conversationIndex < 0)
        {
            throw ApiErrorException.InvalidRequest(Format(
                $"mnemo emulator script: no conversation matches the first user message ({Quote(firstUser)}) and no rule matches the last ({Quote(lastUser ?? string.Empty)})"));
        }

        var conversation = script.Conversations[conversationIndex];
        var name = conversation.Name is { } n ? $"\"{n}\"" : conversationIndex.ToString(CultureInfo.InvariantCulture);
        if (played >= conversation.Turns.Count)
        {
            throw ApiErrorException.InvalidRequest(Format(
                $"mnemo emulator script: conversation {name} has {conversation.Turns.Count} turns and this request asks for turn {played + 1}; no rule matches the last user message ({Quote(lastUser ?? string.Empty)})"));
        }

        return new ScriptSelection(conversation.Turns[played], Format($"conversation {name} turn {played + 1}"), Format($"{seedBase}/{conversationIndex}/{played}"));
    }

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

    private static string Quote(string text)
    {
        var line = text.ReplaceLineEndings(" ");
        return line.Length <= 80 ? $"\"{line}\"" : $"\"{line[..77]}...\"";
    }

    private static string Hash(string text) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
