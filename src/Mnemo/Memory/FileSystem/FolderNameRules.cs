namespace Mnemo.Memory.FileSystem;

/// <summary>Specifies which system's rules for file names a <see cref="FileSystemMemoryStore"/> keeps.</summary>
/// <remarks>Only the <see cref="FolderEngine.Portable"/> engine keeps rules other than Linux's. Keeping Windows' rules on
/// Linux or macOS keeps a folder that is synchronised to Windows free of names Windows cannot hold.</remarks>
public enum FolderNameRules
{
    /// <summary>The rules of the system the store runs on: <see cref="Windows"/> on Windows, <see cref="MacOS"/> on macOS, <see cref="Posix"/> elsewhere.</summary>
    Automatic,

    /// <summary>Any name but <c>.</c>, <c>..</c> and those with <c>/</c> or NUL; names that differ only in case are two files
    /// (unless the volume itself folds case).</summary>
    Posix,

    /// <summary>Windows' rules: no device names (<c>CON</c>, <c>NUL</c>, <c>COM1</c>…, with or without an extension), no
    /// <c>&lt; &gt; : " | ? *</c> or control characters (so no alternate data stream such as <c>a.txt:secret</c>), no
    /// trailing dot or space; names that differ only in case are one file.</summary>
    Windows,

    /// <summary>macOS's rules: names in Unicode NFC only (macOS takes two spellings of one accented name as one file), and
    /// names that differ only in case are one file.</summary>
    MacOS,
}

/// <summary>The checks of <see cref="FolderNameRules"/>: whether a name can be held, and whether case is folded.</summary>
internal static class FolderNames
{
    private static readonly string[] Devices = ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"];

    /// <summary>The rules of the system the store runs on.</summary>
    public static FolderNameRules OfSystem =>
        OperatingSystem.IsWindows() ? FolderNameRules.Windows
        : OperatingSystem.IsMacOS() || OperatingSystem.IsIOS() || OperatingSystem.IsMacCatalyst() ? FolderNameRules.MacOS
        : FolderNameRules.Posix;

    /// <summary>Resolves <see cref="FolderNameRules.Automatic"/> to the system's rules.</summary>
    public static FolderNameRules Resolve(FolderNameRules rules) => rules == FolderNameRules.Automatic ? OfSystem : rules;

    /// <summary>Tells whether names that differ only in case are one file under these rules.</summary>
    public static bool FoldsCase(FolderNameRules rules) => rules is FolderNameRules.Windows or FolderNameRules.MacOS;

    /// <summary>Checks a name against the rules.</summary>
    /// <param name="rules">The rules, resolved.</param>
    /// <param name="name">One name of a path.</param>
    /// <returns>Why the name cannot be held, in words, or <see langword="null"/> when it can.</returns>
    public static string? Refusal(FolderNameRules rules, string name)
    {
        switch (rules)
        {
            case FolderNameRules.Windows:
                foreach (var c in name)
                {
                    if (c < 32 || c is '<' or '>' or ':' or '"' or '|' or '?' or '*' or '\\')
                    {
                        return c == ':'
                            ? $"Windows does not allow ':' in a name (it would name an alternate data stream): {name}"
                            : $"Windows does not allow < > \" | ? * \\ or control characters in a name: {Printable(name)}";
                    }
                }

                if (name.EndsWith('.') || name.EndsWith(' '))
                {
                    return $"Windows does not allow a name that ends in a dot or a space: \"{name}\"";
                }

                return IsDevice(name) ? $"Windows reserves the name {name} for a device" : null;
            case FolderNameRules.MacOS:
                return Nfc.IsNormalized(name) ? null
                    : $"macOS takes a name and its other Unicode spellings as one file, so names must be in Unicode NFC: {name}";
            default:
                return null;
        }
    }

    /// <summary>Tells whether Windows reads a name as a device: <c>CON</c>, <c>NUL</c>, <c>COM1</c>… alone or before an extension.</summary>
    public static bool IsDevice(string name)
    {
        var stem = name.AsSpan();
        var dot = stem.IndexOf('.');
        stem = (dot >= 0 ? stem[..dot] : stem).TrimEnd(' ');
        foreach (var device in Devices)
        {
            if (stem.Equals(device, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        // COM0-9 and LPT0-9, and the superscript digits Windows also takes as ports.
        return stem.Length == 4 && (stem[..3].Equals("COM", StringComparison.OrdinalIgnoreCase) || stem[..3].Equals("LPT", StringComparison.OrdinalIgnoreCase)) &&
            (char.IsAsciiDigit(stem[3]) || stem[3] is '\u00B9' or '\u00B2' or '\u00B3');
    }

    private static string Printable(string name) => string.Concat(name.Select(c => c < 32 ? '?' : c));
}
