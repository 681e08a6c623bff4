namespace Mnemo.Sessions;

/// <summary>Represents where session records are kept: one JSON line per event of each session, appended as the session
/// runs, and read back for the dashboard.</summary>
/// <remarks>A record holds sizes, names, ids, token counts and times: never memory content, tool result text or the
/// messages. Implementations: <see cref="FolderSessionRecords"/> (a folder, <c>.mnemo/sessions/</c> by default),
/// <see cref="HttpSessionRecords"/> (a memory server's store), and the PostgreSQL store's.</remarks>
public interface ISessionRecordStore
{
    /// <summary>Appends whole lines to a session's record, creating it with the first.</summary>
    /// <param name="session">The session's id (<see cref="SessionRecords.IsValidId"/>).</param>
    /// <param name="lines">One or more JSON lines, each ending with a line feed.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the lines are kept.</returns>
    ValueTask AppendAsync(string session, ReadOnlyMemory<byte> lines, CancellationToken cancellationToken = default);

    /// <summary>Lists every session's summary, newest first, from the store's index (brought up to date first).</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The summaries.</returns>
    ValueTask<IReadOnlyList<SessionSummary>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Reads one session's record whole.</summary>
    /// <param name="session">The session's id.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The record's bytes; <see langword="null"/> when there is no such session.</returns>
    ValueTask<ReadOnlyMemory<byte>?> ReadAsync(string session, CancellationToken cancellationToken = default);
}
