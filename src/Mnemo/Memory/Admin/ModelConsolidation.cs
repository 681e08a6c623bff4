using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Mnemo.Memory;

/// <summary>
/// The model-driven engine of a consolidation: a model, through any <see cref="IChatClient"/>, reads the store's files
/// (numbered lines), what the rules already propose, and the sessions' memory calls, and proposes further changes in
/// JSON: notes that say the same in other words, values that later notes or sessions proved wrong, files to summarise.
/// </summary>
/// <remarks>
/// <para>The model proposes; it changes nothing. Each of its changes is checked before it joins the proposal: a kind
/// the consolidation knows, a title and evidence, paths under <c>/memories</c>, no file that another change already
/// edits, no deletion of a file that is not there. Those that fail are left out with the reason in
/// <see cref="ConsolidationProposal.Notes"/>. What passes is reviewed and applied like every other change: as a diff,
/// compare-and-swap against the text the model saw, through the history under the actor <c>consolidate</c>.</para>
/// <para>The model sees the memory's text: use a model you would trust with it.</para>
/// </remarks>
public sealed class ChatClientConsolidationEngine(IChatClient client, ChatOptions? options = null)
{
    /// <summary>What the model is asked, after the files.</summary>
    public const string Instructions = """
        You consolidate an AI agent's memory directory. Above are its files, each line numbered; the changes already
        proposed by deterministic rules; and, when given, the memory tool calls of recent sessions, with where they are.
        Propose only changes the rules missed: notes that say the same thing in different words (merge them), values a
        later note or session shows are wrong or out of date (replace or remove them), contradictions nothing settles
        (flag them), files too long to be useful (summarise them). Never invent facts; keep every fact that is still true.
        Answer with JSON only, in this shape:
        {"changes": [{"kind": "near_duplicate" | "superseded" | "contradiction" | "oversized" | "stale",
          "title": "what the change does, in one line",
          "evidence": "why: the files and line numbers, and session messages, it rests on",
          "edits": [{"path": "/memories/...", "new_text": "the whole new text of the file, or null to delete it"}]}]}
        A contradiction has no edits. Answer {"changes": []} when nothing is left to do.
        """;

    private readonly IChatClient _client = client ?? throw new ArgumentNullException(nameof(client));

    /// <summary>Gets or sets the most bytes of file text the model is sent; files past it are left out, and a note says
    /// how many it saw. 256 KiB by default.</summary>
    public int MaxFileBytes { get; init; } = 256 * 1024;

    /// <summary>Asks the model for its changes and checks them.</summary>
    /// <param name="files">The store's text files, as the rules read them.</param>
    /// <param name="proposed">The changes the rules propose.</param>
    /// <param name="sessions">What sessions did with the memory; <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The changes that passed the checks (kind, title, evidence, edits), and a note for each left out.</returns>
    internal async ValueTask<(List<(ConsolidationKind, string, string, IReadOnlyList<ConsolidationEdit>)> Changes, List<string> Notes)> ProposeAsync(
        IReadOnlyList<(MemoryPath Path, string Text)> files, IReadOnlyList<(ConsolidationKind Kind, string Title, string Evidence, IReadOnlyList<ConsolidationEdit> Edits)> proposed,
        ConsolidationEvidence? sessions, CancellationToken cancellationToken)
    {
        var notes = new List<string>();
        var prompt = new StringBuilder();
        var seen = 0;
        var bytes = 0;
        foreach (var (path, text) in files)
        {
            bytes += Encoding.UTF8.GetByteCount(text);
            if (bytes > MaxFileBytes && seen > 0)
            {
                break;
            }

            seen++;
            prompt.Append("=== ").Append(path.Normalized).Append('\n');
            var lines = text.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                prompt.Append(CultureInfo.InvariantCulture, $"{i + 1,5}\t{lines[i]}\n");
            }
        }

        if (seen < files.Count)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"the model saw {seen} of the {files.Count} files (the first {MaxFileBytes:N0} bytes); the rules read them all"));
        }

        prompt.Append("\n=== Changes the rules propose\n");
        foreach (var change in proposed)
        {
            prompt.Append("- ").Append(MemoryConsolidator.Words(change.Kind)).Append(": ").Append(change.Title).Append('\n');
        }

        if (sessions is not null)
        {
            prompt.Append(CultureInfo.InvariantCulture, $"\n=== Memory calls of {sessions.Sessions} session(s)\n");
            foreach (var call in sessions.Calls)
            {
                prompt.Append("- ").Append(call.Cite()).Append(": ").Append(call.Command).Append(' ').Append(call.Path);
                if (call.Written is { } written)
                {
                    prompt.Append(" wrote: ").Append(written.Replace("\n", "\\n", StringComparison.Ordinal));
                }

                prompt.Append('\n');
            }
        }

        prompt.Append('\n').Append(Instructions);
        ChatResponse response;
        try
        {
            response = await _client.GetResponseAsync([new ChatMessage(ChatRole.User, prompt.ToString())], options, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A model out of reach costs the proposal the model's changes, not the rules'.
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
            notes.Add($"the model could not be asked ({exception.GetType().Name}); the proposal holds the rules' changes only");
            return ([], notes);
        }

        return (Check(response.Text, files, proposed, notes), notes);
    }

    /// <summary>The model's changes that pass the checks; a note for each that does not, or for an answer that is not the JSON asked for.</summary>
    private static List<(ConsolidationKind, string, string, IReadOnlyList<ConsolidationEdit>)> Check(
        string answer, IReadOnlyList<(MemoryPath Path, string Text)> files, IReadOnlyList<(ConsolidationKind Kind, string Title, string Evidence, IReadOnlyList<ConsolidationEdit> Edits)> proposed, List<string> notes)
    {
        var accepted = new List<(ConsolidationKind, string, string, IReadOnlyList<ConsolidationEdit>)>();
        var text = answer.Trim();
        var start = text.IndexOf('{', StringComparison.Ordinal);
        var end = text.LastIndexOf('}');
        JsonElement root;
        try
        {
            root = start >= 0 && end > start ? JsonDocument.Parse(text[start..(end + 1)]).RootElement : throw new JsonException();
        }
        catch (JsonException)
        {
            notes.Add("the model's answer was not the JSON asked for; the proposal holds the rules' changes only");
            return accepted;
        }

        if (!root.TryGetProperty("changes"u8, out var changes) || changes.ValueKind != JsonValueKind.Array)
        {
            notes.Add("the model's answer has no \"changes\" list; the proposal holds the rules' changes only");
            return accepted;
        }

        var byPath = files.ToDictionary(file => file.Path.Normalized, file => file.Text, StringComparer.Ordinal);
        var edited = new HashSet<string>(proposed.SelectMany(change => change.Edits).Select(edit => edit.Path.Normalized), StringComparer.Ordinal);
        var number = 0;
        foreach (var change in changes.EnumerateArray())
        {
            number++;
            var problem = Read(change, byPath, edited, out var kind, out var title, out var evidence, out var edits);
            if (problem is not null)
            {
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"the model's change {number} is left out: {problem}"));
                continue;
            }

            foreach (var edit in edits)
            {
                edited.Add(edit.Path.Normalized);
            }

            accepted.Add((kind, title!, evidence!, edits));
        }

        return accepted;
    }

    private static string? Read(JsonElement change, Dictionary<string, string> files, HashSet<string> edited,
        out ConsolidationKind kind, out string? title, out string? evidence, out List<ConsolidationEdit> edits)
    {
        kind = default;
        edits = [];
        title = Text(change, "title");
        evidence = Text(change, "evidence");
        if (change.ValueKind != JsonValueKind.Object)
        {
            return "it is not an object";
        }

        kind = Text(change, "kind") switch
        {
            "near_duplicate" => ConsolidationKind.NearDuplicate,
            "superseded" => ConsolidationKind.Superseded,
            "contradiction" => ConsolidationKind.Contradiction,
            "oversized" => ConsolidationKind.Oversized,
            "stale" => ConsolidationKind.Stale,
            _ => (ConsolidationKind)(-1),
        };
        if ((int)kind < 0)
        {
            return $"kind \"{Text(change, "kind")}\" is not one of near_duplicate, superseded, contradiction, oversized, stale";
        }

        if (string.IsNullOrWhiteSpace(title) || string.IsNullOrWhiteSpace(evidence))
        {
            return "every change needs a title and its evidence";
        }

        if (kind == ConsolidationKind.Contradiction || !change.TryGetProperty("edits"u8, out var list) || list.ValueKind != JsonValueKind.Array)
        {
            // A contradiction is flagged for the user to settle, whatever edits came with it.
            return kind == ConsolidationKind.Contradiction ? null : "it has no edits list";
        }

        foreach (var edit in list.EnumerateArray())
        {
            var raw = Text(edit, "path");
            if (raw is null)
            {
                return "an edit has no path";
            }

            if (!MemoryPath.TryParse(raw, out var path, out var error))
            {
                return $"the path '{raw}' is refused: " + error switch
                {
                    MemoryPathError.Escapes => "it leads out of /memories",
                    MemoryPathError.ControlCharacter => "it holds a control character",
                    MemoryPathError.InvalidUnicode => "it is not valid Unicode",
                    MemoryPathError.TooLong => "it is too long",
                    _ => "it is not under /memories",
                };
            }

            if (path!.Segments.Count == 0 || path.Segments.Any(name => name.StartsWith('.')))
            {
                return $"'{raw}' is not a memory file the model may edit";
            }

            if (edited.Contains(path.Normalized) || edits.Any(e => e.Path.Normalized == path.Normalized))
            {
                return $"{path.Normalized} is edited by another change of the proposal";
            }

            var old = files.GetValueOrDefault(path.Normalized);
            var newText = edit.TryGetProperty("new_text"u8, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            if (old is null && newText is null)
            {
                return $"it deletes {path.Normalized}, which is not a file of the store";
            }

            if (old == newText)
            {
                continue;
            }

            edits.Add(new ConsolidationEdit(path, old, newText));
        }

        return edits.Count == 0 ? "it changes nothing" : null;
    }

    private static string? Text(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
