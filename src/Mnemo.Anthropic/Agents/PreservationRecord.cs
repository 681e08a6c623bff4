namespace Mnemo.Anthropic.Agents;

/// <summary>Represents one approach to a clearing: the warning, the memory writes that followed it, and the clearing that ended it.</summary>
/// <param name="WarnedAtRequest">The request the warning was added to; <see langword="null"/> when the clearing came unwarned.</param>
/// <param name="WarnedAtInputTokens">That request's projected input tokens.</param>
/// <param name="MemoryWrites">
/// The memory writes (create, str_replace, insert, delete, rename that succeeded) made after the warning and before the
/// clearing; without a warning, those since the approach began.
/// </param>
/// <param name="FirstWriteRequest">The request whose response made the first save among them (a write that adds or changes
/// text: create, str_replace, insert).</param>
/// <param name="TurnsToFirstWrite">How many requests it took, the warned one included: 1 when the model saved in its reply to the warning.</param>
/// <param name="TokensToFirstWrite">How far the context grew from the warning to the first save: that request's input and output tokens less the warned request's input.</param>
/// <param name="ClearedAtRequest">The request that cleared.</param>
/// <param name="ClearedToolUses">The tool uses it cleared for the first time.</param>
/// <param name="ClearedInputTokens">The input tokens its clearing removed from that request.</param>
public sealed record PreservationRecord(
    int? WarnedAtRequest,
    long? WarnedAtInputTokens,
    int MemoryWrites,
    int? FirstWriteRequest,
    int? TurnsToFirstWrite,
    long? TokensToFirstWrite,
    int ClearedAtRequest,
    int ClearedToolUses,
    long ClearedInputTokens)
{
    /// <summary>Gets a value indicating whether the approach ended in a compaction (the older context summarised) rather than a clearing.</summary>
    public bool Compacted { get; init; }

    /// <summary>Gets a value indicating whether the model was warned before the clearing.</summary>
    public bool Warned => WarnedAtRequest is not null;

    /// <summary>Gets the saves among <see cref="MemoryWrites"/>: writes that add or change text (create, str_replace,
    /// insert), not a delete or a rename alone.</summary>
    public int MemorySaves { get; init; }

    /// <summary>Gets the wall-clock seconds from the warning to the first save; <see langword="null"/> without either.</summary>
    public double? SecondsToFirstSave { get; init; }

    /// <summary>Gets the wall-clock seconds from the warning to the clearing; <see langword="null"/> without a warning.</summary>
    public double? SecondsToClear { get; init; }

    /// <summary>Gets each tool result the clearing took, and whether a save made after the result arrived and before the
    /// clearing mentions it (its tool's input, such as a path, a URL or a query, found in the saved text). A proxy for
    /// "what the model needed from it is in memory", not proof.</summary>
    public IReadOnlyList<ClearedResult> ClearedResults { get; init; } = [];

    /// <summary>Gets how many of <see cref="ClearedResults"/> a save covers.</summary>
    public int ResultsCovered => ClearedResults.Count(result => result.Covered);

    /// <summary>Gets how many of <see cref="ClearedResults"/> no save covers.</summary>
    public int ResultsNotCovered => ClearedResults.Count(result => !result.Covered);

    /// <summary>Gets a value indicating whether the model saved to memory (added or changed text) after the warning and
    /// before the clearing; a delete or a rename alone does not count.</summary>
    public bool Preserved => Warned && MemorySaves > 0;
}

/// <summary>One tool result a clearing took, and whether memory covers it.</summary>
/// <param name="Tool">The tool's name.</param>
/// <param name="Input">The call's input.</param>
/// <param name="SavedAfter">Whether the model saved anything after the result arrived and before the clearing.</param>
/// <param name="Covered">Whether such a save mentions the call's input (a path, a URL, a query), matched as text.</param>
public sealed record ClearedResult(string Tool, System.Text.Json.JsonElement Input, bool SavedAfter, bool Covered)
{
    /// <summary>Gets the request that cleared it.</summary>
    public int ClearedAtRequest { get; init; }
}

/// <summary>Follows the approaches to clearings: when one began, its warning, the memory writes after it.</summary>
internal sealed class PreservationTracker(TimeProvider time)
{
    private (int Request, long Tokens, long At)? _warning;
    private int _writes;
    private int _saves;
    private (int Request, long Tokens, long At)? _firstWrite;

    /// <summary>Whether the current approach has had its warning.</summary>
    public bool Warned => _warning is not null;

    /// <summary>The warning was added to <paramref name="request"/>; writes are counted from here.</summary>
    public void Warn(int request, long projectedTokens)
    {
        _warning = (request, projectedTokens, time.GetTimestamp());
        (_writes, _saves, _firstWrite) = (0, 0, null);
    }

    /// <summary>A memory write, made by the response to <paramref name="request"/>, whose context then held <paramref name="contextTokens"/>.</summary>
    /// <param name="request">The request whose response made it.</param>
    /// <param name="contextTokens">The context's size then.</param>
    /// <param name="save">Whether it adds or changes text (create, str_replace, insert).</param>
    public void MemoryWritten(int request, long contextTokens, bool save)
    {
        _writes++;
        if (save)
        {
            _saves++;
            _firstWrite ??= (request, contextTokens, time.GetTimestamp());
        }
    }

    /// <summary>Forgets the warning: it went into the request that clears, so the approach counts as not warned.</summary>
    public void Unwarn() => _warning = null;

    /// <summary>Ends the approach at a clearing and begins the next one.</summary>
    public PreservationRecord Cleared(int request, int clearedToolUses, long clearedInputTokens)
    {
        var warning = _warning;
        var first = _firstWrite;
        var now = time.GetTimestamp();
        var record = new PreservationRecord(
            warning?.Request,
            warning?.Tokens,
            _writes,
            first?.Request,
            warning is { } w && first is { } f ? f.Request - w.Request + 1 : null,
            warning is { } w2 && first is { } f2 ? Math.Max(0, f2.Tokens - w2.Tokens) : null,
            request,
            clearedToolUses,
            clearedInputTokens)
        {
            MemorySaves = _saves,
            SecondsToFirstSave = warning is { } w3 && first is { } f3 ? time.GetElapsedTime(w3.At, f3.At).TotalSeconds : null,
            SecondsToClear = warning is { } w4 ? time.GetElapsedTime(w4.At, now).TotalSeconds : null,
        };
        (_warning, _writes, _saves, _firstWrite) = (null, 0, 0, null);
        return record;
    }
}
