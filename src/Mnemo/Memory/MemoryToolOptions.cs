namespace Mnemo.Memory;

/// <summary>Represents the options of a <see cref="MemoryTool"/>.</summary>
public sealed class MemoryToolOptions
{
    /// <summary>Gets or sets the largest file, in bytes, that a command may write.</summary>
    /// <value>4 MiB by default. A memory file is read back into the model's context, so a larger one is almost always a mistake.</value>
    public long MaxFileBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Gets or sets how many times an edit is retried when other writers change the file between its read and its write.</summary>
    /// <value>1,000 by default. Each retry means another writer succeeded, so the limit is reached only under a storm of writes.</value>
    public int MaxConflictRetries { get; set; } = CompareAndSwap.DefaultMaxRetries;

    /// <summary>Gets or sets a callback told of failures that the model sees only as a generic message.</summary>
    /// <value><see langword="null"/> by default. The exception may name host paths; log it, never show it to the model.</value>
    public Action<MemoryCommand, Exception>? UnexpectedError { get; set; }

    internal MemoryToolOptions Validated()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFileBytes, 1, nameof(MaxFileBytes));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxConflictRetries, nameof(MaxConflictRetries));
        return this;
    }
}
