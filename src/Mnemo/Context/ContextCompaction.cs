using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Mnemo.Context;

/// <summary>A summary of older context, made for <c>compact_20260112</c>.</summary>
/// <param name="Text">The summary; <see langword="null"/> when summarising failed (the API's compaction block then has
/// <c>"content": null</c> and stands in for nothing).</param>
/// <param name="InputTokens">Input tokens the summarising request used; 0 when it made none.</param>
/// <param name="OutputTokens">Output tokens the summarising request used.</param>
public sealed record ContextSummary(string? Text, long InputTokens = 0, long OutputTokens = 0);

/// <summary>Summarises a request's context for compaction.</summary>
public interface IContextSummarizer
{
    /// <summary>Summarises every message of <paramref name="request"/>.</summary>
    /// <param name="request">The request whose context is compacted.</param>
    /// <param name="instructions">The edit's <c>instructions</c>, which replace the default prompt; <see langword="null"/> keeps it.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The summary; a summary with <see langword="null"/> text when it could not be made.</returns>
    ValueTask<ContextSummary> SummarizeAsync(ContextRequest request, string? instructions, CancellationToken cancellationToken);
}

/// <summary>What a compaction did to one request.</summary>
/// <param name="Summary">The summary that now stands in for the older context; <see langword="null"/> when it failed.</param>
/// <param name="CompactedMessages">How many messages (of the request as the model sees it) the summary stands in for.</param>
/// <param name="InputTokensBefore">The input tokens that passed the trigger.</param>
/// <param name="InputTokensAfter">The input tokens after compaction.</param>
/// <param name="InsertAt">Where the <c>compaction</c> block goes in the caller's history: before that message (the first
/// kept), or -1 for at the start of the next assistant message, as the API returns it.</param>
/// <param name="Paused">Whether the edit asked to pause after compaction.</param>
/// <param name="Usage">What the summarising request used (its own tokens, not the context it closed).</param>
public sealed record ContextCompaction(
    string? Summary, int CompactedMessages, long InputTokensBefore, long InputTokensAfter, int InsertAt, bool Paused, ContextSummary Usage)
{
    /// <summary>Whether the summary was made; a failed compaction leaves the context as it was.</summary>
    public bool Succeeded => Summary is not null;

    /// <summary>Writes the <c>compaction</c> block the API returns: <c>{"type": "compaction", "content": ...}</c>.</summary>
    public void WriteBlock(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("type"u8, "compaction"u8);
        if (Summary is null)
        {
            writer.WriteNull("content"u8);
        }
        else
        {
            writer.WriteString("content"u8, Summary);
        }

        writer.WriteEndObject();
    }
}

/// <summary>The default prompt a summariser is given, unless the edit's <c>instructions</c> replace it.</summary>
public static class CompactionPrompt
{
    /// <summary>The default summarisation prompt.</summary>
    public const string Default =
        "Write a summary of the conversation above that lets you continue the work without it. Keep: the task and the " +
        "user's requests in their words; decisions made and why; facts found (file names, paths, identifiers, figures, " +
        "errors and their causes); what has been done and what remains, in order; anything the user asked to remember. " +
        "Leave out pleasantries and tool output that no longer matters. Write it as notes to yourself.";
}

/// <summary>
/// A summariser that needs no model: the older context in short, extracted line by line (each message's text, each tool
/// call and the start of each tool result), newest kept when it is too long. For offline use, tests and the emulator.
/// </summary>
public sealed class ExtractiveContextSummarizer : IContextSummarizer
{
    /// <summary>The one instance.</summary>
    public static ExtractiveContextSummarizer Instance { get; } = new();

    /// <summary>The longest summary, in characters.</summary>
    public int MaxCharacters { get; init; } = 8_000;

    /// <summary>The longest piece kept of one block, in characters.</summary>
    public int MaxBlockCharacters { get; init; } = 240;

    /// <inheritdoc/>
    public ValueTask<ContextSummary> SummarizeAsync(ContextRequest request, string? instructions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var lines = new List<string>();
        foreach (var message in request.Messages)
        {
            foreach (var block in message.Blocks)
            {
                if (Line(message.Role, block) is { } line)
                {
                    lines.Add(line);
                }
            }
        }

        // Newest first until the budget is spent: the end of the work matters most when it goes on.
        var kept = new List<string>();
        var length = 0;
        for (var i = lines.Count - 1; i >= 0 && length + lines[i].Length + 1 <= MaxCharacters; i--)
        {
            kept.Add(lines[i]);
            length += lines[i].Length + 1;
        }

        kept.Reverse();
        var text = new StringBuilder(length + 128);
        text.Append(CultureInfo.InvariantCulture, $"Summary of the earlier conversation ({request.Messages.Count} messages");
        text.Append(kept.Count < lines.Count ? string.Create(CultureInfo.InvariantCulture, $"; the oldest {lines.Count - kept.Count} lines left out):") : "):");
        foreach (var line in kept)
        {
            text.Append('\n').Append(line);
        }

        return ValueTask.FromResult(new ContextSummary(text.ToString()));
    }

    private string? Line(string role, ContextBlock block)
    {
        var json = block.Json;
        switch (block.Kind)
        {
            case ContextBlockKind.ToolUse or ContextBlockKind.ServerToolUse:
                return $"- {role} called {block.ToolName}({Cut(json.TryGetProperty("input"u8, out var input) ? input.GetRawText() : "{}")})";
            case ContextBlockKind.ToolResult or ContextBlockKind.ServerToolResult:
                return $"- result: {Cut(TextOf(json))}";
            case ContextBlockKind.Compaction:
                return json.TryGetProperty("content"u8, out var content) && content.ValueKind == JsonValueKind.String
                    ? $"- earlier summary: {Cut(content.GetString()!)}"
                    : null;
            case ContextBlockKind.Thinking or ContextBlockKind.RedactedThinking:
                return null;
            default:
                var text = TextOf(json);
                return text.Length == 0 ? null : $"- {role}: {Cut(text)}";
        }
    }

    private string Cut(string text)
    {
        text = text.ReplaceLineEndings(" ").Trim();
        return text.Length <= MaxBlockCharacters ? text : string.Concat(text.AsSpan(0, MaxBlockCharacters), "…");
    }

    private static string TextOf(JsonElement json)
    {
        if (json.ValueKind == JsonValueKind.String)
        {
            return json.GetString()!;
        }

        if (json.ValueKind != JsonValueKind.Object)
        {
            return string.Empty;
        }

        if (json.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String)
        {
            return text.GetString()!;
        }

        if (json.TryGetProperty("content"u8, out var content))
        {
            if (content.ValueKind == JsonValueKind.String)
            {
                return content.GetString()!;
            }

            if (content.ValueKind == JsonValueKind.Array)
            {
                return string.Join(" ", content.EnumerateArray().Select(TextOf).Where(part => part.Length > 0));
            }
        }

        return string.Empty;
    }
}

/// <summary>A summariser that asks a model, through any <see cref="IChatClient"/>: the conversation as text, then the
/// prompt (the edit's <c>instructions</c> or <see cref="CompactionPrompt.Default"/>).</summary>
/// <param name="client">The client to ask.</param>
/// <param name="options">Options of the summarising request (model, output limit); <see langword="null"/> for the client's.</param>
public sealed class ChatClientContextSummarizer(IChatClient client, ChatOptions? options = null) : IContextSummarizer
{
    private readonly IChatClient _client = client ?? throw new ArgumentNullException(nameof(client));

    /// <inheritdoc/>
    public async ValueTask<ContextSummary> SummarizeAsync(ContextRequest request, string? instructions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        // The whole context as one transcript; the summariser sees no tools, so it cannot call any.
        var transcript = await new ExtractiveContextSummarizer { MaxCharacters = int.MaxValue, MaxBlockCharacters = 4_000 }
            .SummarizeAsync(request, null, cancellationToken).ConfigureAwait(false);
        var prompt = string.IsNullOrWhiteSpace(instructions) ? CompactionPrompt.Default : instructions;
        var response = await _client.GetResponseAsync(
            [new ChatMessage(ChatRole.User, transcript.Text + "\n\n" + prompt)], options, cancellationToken).ConfigureAwait(false);
        var text = response.Text;
        return new ContextSummary(
            string.IsNullOrWhiteSpace(text) ? null : text,
            response.Usage?.InputTokenCount ?? 0,
            response.Usage?.OutputTokenCount ?? 0);
    }
}
