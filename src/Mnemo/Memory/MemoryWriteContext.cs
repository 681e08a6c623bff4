namespace Mnemo.Memory;

/// <summary>Represents who makes a write and why, for a store's history and audit log.</summary>
/// <param name="Actor">Who writes: a session, a user, a tool caller; whatever the host sets. <see langword="null"/> when unknown.</param>
/// <param name="Reason">What caused the write: a memory-tool command (<c>str_replace</c>), or <c>restore</c>, <c>expire</c>,
/// <c>import</c>, <c>clear</c>, <c>write</c> for a host's own writes.</param>
public sealed record MemoryWriteContext(string? Actor = null, string? Reason = null);
