namespace Mnemo.Memory.FileSystem;

/// <summary>Represents the options of a <see cref="FileSystemMemoryStore"/>.</summary>
public sealed class FileSystemMemoryStoreOptions : VersionedMemoryStoreOptions
{
    /// <summary>Gets or sets a value indicating whether every write is flushed to the disk (fsync) before it is reported done.</summary>
    /// <value>
    /// <see langword="true"/> by default: a write that succeeded survives a power cut. <see langword="false"/> keeps writes
    /// atomic (a crash leaves the old or the new file, never a torn one) but may lose the last writes on a power cut.
    /// </value>
    public bool Durable { get; set; } = true;

    internal FileSystemMemoryStoreOptions Validated()
    {
        ValidateVersioned();
        return this;
    }
}
