namespace Mnemo.Memory;

/// <summary>Represents a failure of the memory layer; the base of Mnemo's memory exceptions.</summary>
public class MemoryException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="MemoryException"/> class.</summary>
    public MemoryException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="MemoryException"/> class with a message.</summary>
    /// <param name="message">The message.</param>
    public MemoryException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="MemoryException"/> class with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public MemoryException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Gets a value indicating whether trying the same operation again may succeed.</summary>
    public virtual bool IsTransient => false;
}

/// <summary>The exception thrown when a path leads out of the root, through a symbolic link or otherwise.</summary>
public sealed class MemoryPathEscapeException : MemoryException
{
    /// <summary>Initializes a new instance of the <see cref="MemoryPathEscapeException"/> class.</summary>
    /// <param name="path">The path that escapes.</param>
    public MemoryPathEscapeException(MemoryPath path)
        : base("The path leads out of the memory root.")
    {
        ArgumentNullException.ThrowIfNull(path);
        Path = path;
    }

    /// <summary>Gets the path that escapes.</summary>
    public MemoryPath Path { get; }
}

/// <summary>The exception thrown when a file or folder cannot be made because a parent of it is a file.</summary>
public sealed class MemoryParentNotDirectoryException : MemoryException
{
    /// <summary>Initializes a new instance of the <see cref="MemoryParentNotDirectoryException"/> class.</summary>
    /// <param name="path">The path whose parent is a file.</param>
    public MemoryParentNotDirectoryException(MemoryPath path)
        : base("A parent of the path is a file, not a folder.")
    {
        ArgumentNullException.ThrowIfNull(path);
        Path = path;
    }

    /// <summary>Gets the path whose parent is a file.</summary>
    public MemoryPath Path { get; }
}

/// <summary>The exception thrown when the storage beneath a store fails (a full disk, a lost connection).</summary>
/// <remarks>Its message names no host path; the cause, kept as <see cref="Exception.InnerException"/>, may.</remarks>
public sealed class MemoryStoreException : MemoryException
{
    private readonly bool _isTransient;

    /// <summary>Initializes a new instance of the <see cref="MemoryStoreException"/> class.</summary>
    /// <param name="message">What failed, naming no host path.</param>
    /// <param name="isTransient">Whether trying again may succeed.</param>
    /// <param name="innerException">The cause.</param>
    public MemoryStoreException(string message, bool isTransient = false, Exception? innerException = null)
        : base(message, innerException)
    {
        _isTransient = isTransient;
    }

    /// <inheritdoc/>
    public override bool IsTransient => _isTransient;
}

/// <summary>The exception thrown when a write would pass one of a store's <see cref="MemoryQuotas"/>; nothing was written.</summary>
public sealed class MemoryQuotaExceededException : MemoryException
{
    /// <summary>Initializes a new instance of the <see cref="MemoryQuotaExceededException"/> class.</summary>
    /// <param name="kind">The limit passed.</param>
    /// <param name="path">The path the write names.</param>
    /// <param name="limit">The limit.</param>
    /// <param name="actual">What the write would have made it.</param>
    public MemoryQuotaExceededException(MemoryQuotaKind kind, MemoryPath path, long limit, long actual)
        : base(MemoryMessages.QuotaExceeded(kind, path?.Original ?? string.Empty, limit, actual))
    {
        ArgumentNullException.ThrowIfNull(path);
        (Kind, Path, Limit, Actual) = (kind, path, limit, actual);
    }

    /// <summary>Gets the limit passed.</summary>
    public MemoryQuotaKind Kind { get; }

    /// <summary>Gets the path the write names.</summary>
    public MemoryPath Path { get; }

    /// <summary>Gets the limit.</summary>
    public long Limit { get; }

    /// <summary>Gets what the write would have made it.</summary>
    public long Actual { get; }
}

/// <summary>The exception thrown when a host's write carries an expected content hash and the file no longer has it.</summary>
public sealed class MemoryConflictException : MemoryException
{
    /// <summary>Initializes a new instance of the <see cref="MemoryConflictException"/> class.</summary>
    /// <param name="path">The file.</param>
    /// <param name="expectedHash">The hash the write expected; empty when it expected no file.</param>
    /// <param name="actualHash">The file's hash now; <see langword="null"/> when there is no file.</param>
    public MemoryConflictException(MemoryPath path, string expectedHash, string? actualHash)
        : base(MemoryMessages.Conflict(path?.Original ?? string.Empty, expectedHash, actualHash))
    {
        ArgumentNullException.ThrowIfNull(path);
        (Path, ExpectedHash, ActualHash) = (path, expectedHash, actualHash);
    }

    /// <summary>Gets the file.</summary>
    public MemoryPath Path { get; }

    /// <summary>Gets the hash the write expected; empty when it expected no file.</summary>
    public string ExpectedHash { get; }

    /// <summary>Gets the file's hash now; <see langword="null"/> when there is no file.</summary>
    public string? ActualHash { get; }
}
