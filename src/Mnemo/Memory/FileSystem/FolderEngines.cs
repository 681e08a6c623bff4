namespace Mnemo.Memory.FileSystem;

/// <summary>Chooses and opens a folder store's engine.</summary>
internal static class FolderEngines
{
    /// <summary>The environment variable an automatic engine takes its choice from when set: <c>linux</c> or <c>portable</c>.</summary>
    public const string EnvironmentVariable = "MNEMO_FOLDER_ENGINE";

    /// <summary>Gets a value indicating whether this process can make Linux's calls: Linux on x64 or arm64.</summary>
    public static bool LinuxCallsAvailable => OperatingSystem.IsLinux() && LinuxInterop.IsSupported;

    /// <summary>Chooses the engine for what was asked, on a system that has Linux's calls or not.</summary>
    /// <param name="requested">The engine asked for.</param>
    /// <param name="rules">The name rules asked for; rules other than Linux's need the portable engine.</param>
    /// <param name="linuxCallsAvailable">Whether the system has Linux's calls (<see cref="LinuxCallsAvailable"/>).</param>
    /// <returns><see cref="FolderEngine.Linux"/> or <see cref="FolderEngine.Portable"/>.</returns>
    /// <exception cref="PlatformNotSupportedException">The Linux engine was asked for where it cannot run.</exception>
    /// <exception cref="ArgumentException">The Linux engine was asked for with name rules it does not keep.</exception>
    public static FolderEngine Choose(FolderEngine requested, FolderNameRules rules, bool linuxCallsAvailable)
    {
        var posixNames = rules is FolderNameRules.Automatic or FolderNameRules.Posix;
        return requested switch
        {
            FolderEngine.Automatic => linuxCallsAvailable && posixNames ? FolderEngine.Linux : FolderEngine.Portable,
            FolderEngine.Linux when !linuxCallsAvailable =>
                throw new PlatformNotSupportedException("The Linux engine of the folder store runs on Linux (x64 or arm64) only; the portable engine runs everywhere."),
            FolderEngine.Linux when !posixNames =>
                throw new ArgumentException($"The Linux engine keeps Linux's name rules only; {rules} rules need the portable engine.", nameof(rules)),
            FolderEngine.Linux or FolderEngine.Portable => requested,
            _ => throw new ArgumentOutOfRangeException(nameof(requested), requested, "Not a folder engine."),
        };
    }

    /// <summary>Reads an engine's name as <see cref="EnvironmentVariable"/> gives it.</summary>
    /// <param name="value">The variable's value; <see langword="null"/> or empty when unset.</param>
    /// <returns>The engine it names; <see cref="FolderEngine.Automatic"/> when unset.</returns>
    /// <exception cref="MemoryStoreException">The value names no engine.</exception>
    public static FolderEngine FromEnvironment(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "automatic" => FolderEngine.Automatic,
        "linux" => FolderEngine.Linux,
        "portable" => FolderEngine.Portable,
        _ => throw new MemoryStoreException($"{EnvironmentVariable} is \"{value}\"; it takes linux, portable or automatic."),
    };

    /// <summary>Opens the engine for a store's options on this system; an automatic engine heeds <see cref="EnvironmentVariable"/>.</summary>
    public static FolderSystem Open(FolderEngine requested, FolderNameRules rules)
    {
        if (requested == FolderEngine.Automatic)
        {
            requested = FromEnvironment(Environment.GetEnvironmentVariable(EnvironmentVariable));
        }

        return Choose(requested, rules, LinuxCallsAvailable) == FolderEngine.Linux && OperatingSystem.IsLinux()
            ? LinuxFolderSystem.Instance
            : new PortableFolderSystem(FolderNames.Resolve(rules));
    }

    /// <summary>Creates a store's root folder when missing: its owner's only (0700) where the system has such modes.</summary>
    public static void CreateRoot(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
