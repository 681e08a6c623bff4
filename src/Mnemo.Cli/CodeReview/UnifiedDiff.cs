using System.Globalization;
using System.Text;

namespace Mnemo.Cli.CodeReview;

/// <summary>Represents a line of a hunk: context (<c>' '</c>), removed (<c>'-'</c>) or added (<c>'+'</c>).</summary>
/// <param name="Kind">The line's mark.</param>
/// <param name="Text">The line without its mark.</param>
internal readonly record struct DiffLine(char Kind, string Text);

/// <summary>Represents a hunk: where it starts on each side, and its lines.</summary>
internal sealed record DiffHunk(int OldStart, int OldCount, int NewStart, int NewCount, IReadOnlyList<DiffLine> Lines)
{
    /// <summary>The hunk's lines on one side, in order: context and removed lines for the old side, context and added for the new.</summary>
    public IEnumerable<string> Side(bool newSide) =>
        Lines.Where(line => line.Kind == ' ' || line.Kind == (newSide ? '+' : '-')).Select(line => line.Text);
}

/// <summary>Represents one file of a diff.</summary>
/// <param name="OldPath">The path before the change; <see langword="null"/> for a file the change adds.</param>
/// <param name="NewPath">The path after the change; <see langword="null"/> for a file the change deletes.</param>
/// <param name="IsBinary">Whether git said the file is binary (no hunks to review).</param>
/// <param name="Hunks">The hunks, in order.</param>
/// <param name="Text">The file's part of the diff, as written.</param>
internal sealed record DiffFile(string? OldPath, string? NewPath, bool IsBinary, IReadOnlyList<DiffHunk> Hunks, string Text)
{
    /// <summary>The file's name: its new path, or its old one when the change deletes it.</summary>
    public string Name => NewPath ?? OldPath!;

    /// <summary>How many lines the change adds.</summary>
    public int Added => Hunks.Sum(hunk => hunk.Lines.Count(line => line.Kind == '+'));

    /// <summary>How many lines the change removes.</summary>
    public int Removed => Hunks.Sum(hunk => hunk.Lines.Count(line => line.Kind == '-'));

    /// <summary>Whether the diff shows the given line of the new side (as context or added), so a review comment can sit on it.</summary>
    public bool Shows(int newLine) =>
        NewPath is not null && Hunks.Any(hunk => newLine >= hunk.NewStart && newLine < hunk.NewStart + hunk.NewCount);

    /// <summary>The new side's lines the diff shows, such as <c>lines 10-32 and 50-61</c>.</summary>
    public string ShownLines()
    {
        var ranges = Hunks.Where(hunk => hunk.NewCount > 0)
            .Select(hunk => hunk.NewCount == 1
                ? hunk.NewStart.ToString(CultureInfo.InvariantCulture)
                : string.Create(CultureInfo.InvariantCulture, $"{hunk.NewStart}-{hunk.NewStart + hunk.NewCount - 1}"))
            .ToList();
        return ranges.Count switch
        {
            0 => "no lines",
            1 => (ranges[0].Contains('-', StringComparison.Ordinal) ? "lines " : "line ") + ranges[0],
            _ => "lines " + string.Join(", ", ranges[..^1]) + " and " + ranges[^1],
        };
    }

    /// <summary>Turns one side of the file into the other through the hunks.</summary>
    /// <param name="content">The file on the side the hunks start from.</param>
    /// <param name="forward">Old side to new when <see langword="true"/>; new side to old otherwise.</param>
    /// <returns>The other side; <see langword="null"/> when <paramref name="content"/> is not what the hunks show at the lines they name.</returns>
    public string? Transform(string content, bool forward)
    {
        var lines = SplitLines(content, out var endsWithNewline);
        var result = new List<string>(lines.Count + 16);
        var at = 0;
        foreach (var hunk in Hunks)
        {
            var start = Math.Max((forward ? hunk.OldStart : hunk.NewStart) - 1, 0);
            if ((forward ? hunk.OldCount : hunk.NewCount) == 0)
            {
                // An empty side names the line before the hunk: the hunk goes after it.
                start = forward ? hunk.OldStart : hunk.NewStart;
            }

            if (start < at || start > lines.Count)
            {
                return null;
            }

            result.AddRange(lines.Skip(at).Take(start - at));
            at = start;
            foreach (var line in hunk.Lines)
            {
                var from = line.Kind == ' ' || line.Kind == (forward ? '-' : '+');
                var to = line.Kind == ' ' || line.Kind == (forward ? '+' : '-');
                if (from)
                {
                    if (at >= lines.Count || lines[at] != line.Text)
                    {
                        return null;
                    }

                    at++;
                }

                if (to)
                {
                    result.Add(line.Text);
                }
            }
        }

        result.AddRange(lines.Skip(at));
        // Whether the last line ends in a line feed is not tracked through the hunks: the result keeps the source's habit.
        return result.Count == 0 ? string.Empty : string.Join('\n', result) + (endsWithNewline || lines.Count == 0 ? "\n" : string.Empty);
    }

    /// <summary>A file's lines, split on line feeds (a carriage return stays with its line, as in a diff).</summary>
    public static List<string> SplitLines(string content, out bool endsWithNewline)
    {
        endsWithNewline = content.EndsWith('\n');
        var lines = content.Split('\n').ToList();
        if (endsWithNewline)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return content.Length == 0 ? [] : lines;
    }
}

/// <summary>Represents a unified diff, as <c>git diff</c> or <c>diff -u</c> writes it: the files it changes and their hunks.</summary>
internal sealed class UnifiedDiff
{
    private UnifiedDiff(IReadOnlyList<DiffFile> files) => Files = files;

    /// <summary>The files the diff changes, in its order.</summary>
    public IReadOnlyList<DiffFile> Files { get; }

    /// <summary>The files with text changes: the ones to review.</summary>
    public IEnumerable<DiffFile> TextFiles => Files.Where(file => !file.IsBinary);

    /// <summary>Finds a changed file by the name the model gives: its new path, or its old one.</summary>
    public DiffFile? Find(string path)
    {
        path = path.TrimStart('/');
        return Files.FirstOrDefault(file => file.NewPath == path) ?? Files.FirstOrDefault(file => file.OldPath == path);
    }

    /// <summary>Reads a diff.</summary>
    /// <param name="text">The diff's text.</param>
    /// <returns>The diff; one with no files when the text is blank.</returns>
    /// <exception cref="FormatException">The text is not a unified diff, or a hunk in it is cut short; the message says where.</exception>
    public static UnifiedDiff Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Split('\n');
        var files = new List<DiffFile>();
        FileBuilder? file = null;
        (DiffHunk Hunk, int Old, int New)? hunk = null;
        void Close()
        {
            if (hunk is { } open && (open.Old > 0 || open.New > 0))
            {
                throw new FormatException($"the diff ends inside a hunk of {file!.Name()}: it is cut short or was edited by hand");
            }

            hunk = null;
            if (file is not null)
            {
                files.Add(file.Build());
                file = null;
            }
        }

        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (hunk is { } open && (open.Old > 0 || open.New > 0))
            {
                var kind = line.Length == 0 ? ' ' : line[0];
                if (kind == '\\')
                {
                    continue;
                }

                if (kind is not (' ' or '+' or '-') || (kind != '+' && open.Old == 0) || (kind != '-' && open.New == 0))
                {
                    throw new FormatException(string.Create(CultureInfo.InvariantCulture,
                        $"line {i + 1} of the diff: a hunk of {file!.Name()} ends before the line counts in its @@ header say"));
                }

                ((List<DiffLine>)open.Hunk.Lines).Add(new DiffLine(kind, line.Length == 0 ? string.Empty : line[1..]));
                hunk = (open.Hunk, open.Old - (kind == '+' ? 0 : 1), open.New - (kind == '-' ? 0 : 1));
                file!.Append(line);
                continue;
            }

            if (line.StartsWith("diff --git ", StringComparison.Ordinal))
            {
                Close();
                file = new FileBuilder(gitStyle: true);
                file.ReadGitHeader(line["diff --git ".Length..]);
                file.Append(line);
            }
            else if (line.StartsWith("--- ", StringComparison.Ordinal) && i + 1 < lines.Length && lines[i + 1].StartsWith("+++ ", StringComparison.Ordinal)
                && (file is null || file.HasNames || file.Hunks.Count > 0))
            {
                Close();
                file = new FileBuilder(gitStyle: false);
                file.ReadNames(line[4..], lines[i + 1][4..]);
                file.Append(line).Append(lines[++i]);
            }
            else if (file is not null && line.StartsWith("--- ", StringComparison.Ordinal) && i + 1 < lines.Length && lines[i + 1].StartsWith("+++ ", StringComparison.Ordinal))
            {
                file.ReadNames(line[4..], lines[i + 1][4..]);
                file.Append(line).Append(lines[++i]);
            }
            else if (file is not null && line.StartsWith("@@ ", StringComparison.Ordinal))
            {
                var started = ReadHunkHeader(line, i + 1);
                file.Hunks.Add(started.Hunk);
                hunk = started;
                file.Append(line);
            }
            else if (file is not null && hunk is null)
            {
                file.ReadHeaderLine(line);
                file.Append(line);
            }
        }

        Close();
        if (files.Count == 0 && !string.IsNullOrWhiteSpace(text))
        {
            throw new FormatException("it is not a unified diff (no file header such as diff --git or ---/+++ in it)");
        }

        return new UnifiedDiff(files);
    }

    private static (DiffHunk Hunk, int Old, int New) ReadHunkHeader(string line, int number)
    {
        // @@ -OLD[,COUNT] +NEW[,COUNT] @@ optional section heading
        var end = line.IndexOf(" @@", 3, StringComparison.Ordinal);
        var parts = end < 0 ? [] : line[3..end].Split(' ');
        if (parts.Length != 2 || !parts[0].StartsWith('-') || !parts[1].StartsWith('+')
            || !TryRange(parts[0][1..], out var oldStart, out var oldCount) || !TryRange(parts[1][1..], out var newStart, out var newCount))
        {
            throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"line {number} of the diff: not a hunk header (@@ -a,b +c,d @@)"));
        }

        return (new DiffHunk(oldStart, oldCount, newStart, newCount, new List<DiffLine>()), oldCount, newCount);
    }

    private static bool TryRange(string text, out int start, out int count)
    {
        var comma = text.IndexOf(',', StringComparison.Ordinal);
        count = 1;
        return int.TryParse(comma < 0 ? text : text[..comma], NumberStyles.None, CultureInfo.InvariantCulture, out start)
            && (comma < 0 || int.TryParse(text[(comma + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out count));
    }

    /// <summary>Collects one file's part of the diff while it is read.</summary>
    private sealed class FileBuilder(bool gitStyle)
    {
        private readonly StringBuilder _text = new();
        private string? _old;
        private string? _new;
        private bool _added;
        private bool _deleted;
        private bool _binary;

        public List<DiffHunk> Hunks { get; } = [];

        public bool HasNames { get; private set; }

        public string Name() => _new ?? _old ?? "a file";

        public FileBuilder Append(string line)
        {
            _text.Append(line).Append('\n');
            return this;
        }

        /// <summary>The names on a <c>diff --git a/X b/Y</c> line, until the ---/+++ lines or rename lines say better.</summary>
        public void ReadGitHeader(string names)
        {
            if (names.StartsWith('"'))
            {
                var first = Unquote(names, out var rest);
                _old = StripPrefix(first, "a/");
                _new = StripPrefix(rest.Trim().StartsWith('"') ? Unquote(rest.Trim(), out _) : rest.Trim(), "b/");
                return;
            }

            // "a/NAME b/NAME": without a rename both halves are the same name, which finds the split even in a name with spaces.
            var half = (names.Length - 1) / 2;
            if (names.Length % 2 == 1 && names[half] == ' ' && names[..half][2..] == names[(half + 1)..][2..])
            {
                _old = StripPrefix(names[..half], "a/");
                _new = StripPrefix(names[(half + 1)..], "b/");
                return;
            }

            var split = names.LastIndexOf(" b/", StringComparison.Ordinal);
            _old = split < 0 ? names : StripPrefix(names[..split], "a/");
            _new = split < 0 ? names : names[(split + 3)..];
        }

        public void ReadNames(string oldName, string newName)
        {
            _old = Name(oldName, "a/");
            _new = Name(newName, "b/");
            _added |= _old is null;
            _deleted |= _new is null;
            HasNames = true;
        }

        public void ReadHeaderLine(string line)
        {
            if (line.StartsWith("new file mode", StringComparison.Ordinal))
            {
                _added = true;
            }
            else if (line.StartsWith("deleted file mode", StringComparison.Ordinal))
            {
                _deleted = true;
            }
            else if (line.StartsWith("rename from ", StringComparison.Ordinal))
            {
                _old = Quoted(line["rename from ".Length..]);
            }
            else if (line.StartsWith("rename to ", StringComparison.Ordinal))
            {
                _new = Quoted(line["rename to ".Length..]);
            }
            else if (line.StartsWith("GIT binary patch", StringComparison.Ordinal)
                || (line.StartsWith("Binary files ", StringComparison.Ordinal) && line.EndsWith(" differ", StringComparison.Ordinal)))
            {
                _binary = true;
            }
        }

        public DiffFile Build() => new(_added ? null : _old, _deleted ? null : _new, _binary, Hunks, _text.ToString());

        private string? Name(string raw, string prefix)
        {
            // diff -u puts a tab and a time after the name.
            var name = raw.StartsWith('"') ? Unquote(raw, out _) : raw.Split('\t')[0];
            return name == "/dev/null" ? null : gitStyle || name.StartsWith(prefix, StringComparison.Ordinal) ? StripPrefix(name, prefix) : name;
        }

        private static string Quoted(string name) => name.StartsWith('"') ? Unquote(name, out _) : name;

        private static string StripPrefix(string name, string prefix) =>
            name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : name;

        /// <summary>Reads a name git wrote in C-style quotes (for tabs, quotes, backslashes and, by default, bytes above ASCII).</summary>
        private static string Unquote(string text, out string rest)
        {
            var bytes = new List<byte>();
            var i = 1;
            for (; i < text.Length && text[i] != '"'; i++)
            {
                if (text[i] != '\\' || i + 1 >= text.Length)
                {
                    bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
                    continue;
                }

                var next = text[++i];
                if (next is >= '0' and <= '7' && i + 2 < text.Length)
                {
                    bytes.Add((byte)Convert.ToInt32(text.Substring(i, 3), 8));
                    i += 2;
                    continue;
                }

                bytes.Add((byte)(next switch { 't' => '\t', 'n' => '\n', 'r' => '\r', 'a' => '\a', 'b' => '\b', 'f' => '\f', 'v' => '\v', _ => next }));
            }

            rest = i + 1 < text.Length ? text[(i + 1)..] : string.Empty;
            return Encoding.UTF8.GetString([.. bytes]);
        }
    }
}
