namespace Mnemo.Tests.Memory;

/// <summary>What a backend's history cannot hold, each by name, so the versioned-store suite checks everything else on
/// it and says, test by test, what it left out and why.</summary>
[Flags]
public enum VersionedStoreGaps
{
    /// <summary>Holds everything the suite checks.</summary>
    None = 0,

    /// <summary>The history names who the backend saw, not the actor, reason and request id the tool passed.</summary>
    NoWriteContext = 1,

    /// <summary>Reads are not recorded, so idle time is counted from the last write.</summary>
    NoReadTracking = 2,

    /// <summary>The backend writes its own history, so an archive's cannot be loaded into it.</summary>
    NoImport = 4,

    /// <summary>A folder's rename or delete is recorded file by file, not as one change of the folder.</summary>
    FileByFileFolders = 8,

    /// <summary>A redacted version loses its hash too, so the redaction cannot name what it removed.</summary>
    RedactionClearsHash = 16,
}
