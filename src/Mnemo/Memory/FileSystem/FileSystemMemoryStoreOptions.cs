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

    /// <summary>Gets or sets how the store reaches its folder.</summary>
    /// <value><see cref="FolderEngine.Automatic"/> by default: the engine the environment variable <c>MNEMO_FOLDER_ENGINE</c>
    /// names (<c>linux</c> or <c>portable</c>) when it is set, else the Linux engine on Linux and the portable one elsewhere.</value>
    /// <remarks>Processes that share a folder use one engine: the two engines' writers' locks do not see each other.</remarks>
    public FolderEngine Engine { get; set; } = FolderEngine.Automatic;

    /// <summary>Gets or sets which system's rules for names the store keeps.</summary>
    /// <value><see cref="FolderNameRules.Automatic"/> by default: the rules of the system the store runs on. Rules other
    /// than Linux's are kept by the portable engine, which an automatic engine then is.</value>
    public FolderNameRules NameRules { get; set; } = FolderNameRules.Automatic;

    internal FileSystemMemoryStoreOptions Validated()
    {
        ValidateVersioned();
        if (!Enum.IsDefined(Engine))
        {
            throw new ArgumentOutOfRangeException(nameof(Engine), Engine, "Not a folder engine.");
        }

        if (!Enum.IsDefined(NameRules))
        {
            throw new ArgumentOutOfRangeException(nameof(NameRules), NameRules, "Not a set of name rules.");
        }

        return this;
    }
}
