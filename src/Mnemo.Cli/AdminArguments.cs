using System.Globalization;
using Mnemo.Memory;

namespace Mnemo.Cli;

/// <summary>What the `mnemo memory` verbs read from the command line and the file system, said in words when it is wrong.</summary>
internal static class AdminArguments
{
    /// <summary>Opens an archive file, saying in words why it cannot be: no such file or folder, already there, no permission.</summary>
    public static FileStream OpenArchive(string path, bool write)
    {
        try
        {
            return write ? new FileStream(path, FileMode.CreateNew, FileAccess.Write) : new FileStream(path, FileMode.Open, FileAccess.Read);
        }
        catch (DirectoryNotFoundException) when (write)
        {
            throw new MemoryException($"cannot write {path}: the folder {Path.GetDirectoryName(Path.GetFullPath(path))} does not exist.");
        }
        catch (Exception exception) when (!write && exception is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new MemoryException($"there is no archive at {path}.");
        }
        catch (UnauthorizedAccessException)
        {
            throw new MemoryException($"cannot {(write ? "write" : "read")} {path}: permission denied.");
        }
        catch (IOException) when (write && File.Exists(path))
        {
            throw new MemoryException($"{path} already exists; export never overwrites a file, so give a new name.");
        }
    }

    public static TimeSpan ParseDuration(string text)
    {
        var unit = text.Length > 1 ? text[^1] : ' ';
        // 0s is a duration too: it sweeps every file not read or written since now, which is every file.
        if (unit is 'd' or 'h' or 'm' or 's' && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount >= 0 &&
            double.IsFinite(amount))
        {
            try
            {
                return unit switch { 'd' => TimeSpan.FromDays(amount), 'h' => TimeSpan.FromHours(amount), 'm' => TimeSpan.FromMinutes(amount), _ => TimeSpan.FromSeconds(amount) };
            }
            catch (OverflowException)
            {
                throw new UsageException($"--older-than {text} is longer than a duration can be.");
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero
            ? span
            : throw new UsageException($"--older-than {text} is not a duration; use 30d, 12h, 90m, 45s, 0s or a time span like 7.00:00:00.");
    }
}
