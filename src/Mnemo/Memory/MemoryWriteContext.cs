namespace Mnemo.Memory;

/// <summary>Represents who makes a write and why, for a store's history and audit log.</summary>
/// <param name="Actor">Who writes: a session, a user, a tool caller; whatever the host sets. <see langword="null"/> when unknown.</param>
/// <param name="Reason">What caused the write: a memory-tool command (<c>str_replace</c>), or <c>restore</c>, <c>expire</c>,
/// <c>import</c>, <c>clear</c>, <c>write</c> for a host's own writes.</param>
public sealed record MemoryWriteContext(string? Actor = null, string? Reason = null)
{
    /// <summary>Gets the write's idempotency key: a write that carries a key the store has already applied is not applied again.</summary>
    /// <remarks>
    /// <para>A client that cannot tell whether a write arrived (a timeout, a dropped connection) sends it again with the same
    /// key, and the store answers as if the write had just succeeded, without doing it twice. Only writes that took effect
    /// are remembered: a write that failed (a compare-and-swap that lost, a file already there) changed nothing, so its
    /// retry runs again.</para>
    /// <para>Keys are 1 to 64 ASCII letters, digits, '-' or '_', unique per store; a random 128-bit value is the usual choice.
    /// How long a store remembers them is its own: the folder store, its last 100,000 (across processes when it keeps
    /// history, in its own process otherwise); the PostgreSQL store, a day.</para>
    /// </remarks>
    public string? RequestId { get; init; }

    /// <summary>Tells whether a string may be a <see cref="RequestId"/>.</summary>
    /// <param name="id">The candidate.</param>
    /// <returns><see langword="true"/> when it is 1 to 64 ASCII letters, digits, '-' or '_'.</returns>
    public static bool IsValidRequestId(string? id) =>
        id is { Length: > 0 and <= 64 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
