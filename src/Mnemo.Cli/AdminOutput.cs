using System.Globalization;
using System.Text;
using System.Text.Json;
using Mnemo.Memory;

namespace Mnemo.Cli;

/// <summary>How the admin verbs print: aligned tables, indented JSON, sizes, times and counts in one style.</summary>
internal static class AdminOutput
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes changes as `mnemo memory history` shows them: a table, a change a row.</summary>
    public static void WriteHistory(IEnumerable<MemoryChange> changes) =>
        Table(["CHANGE", "TIME", "OP", "BY", "WHY", "SIZE", "SHA256", "PATH"], changes.Select(c => new[]
        {
            Number(c.Sequence), Time(c.Time), c.Kind.ToString().ToLowerInvariant(), c.Actor ?? "-", c.Reason ?? "-",
            c.Files.Count == 0 ? "-" : Size(c.Files.Sum(f => f.Size)),
            c.Files.Count == 1 ? c.Files[0].Hash[..12] + (c.Files[0].Content is null ? " (redacted)" : string.Empty) : c.RedactedHash is { } h ? h[..12] : "-",
            c.From is { } from ? $"{from} -> {c.Path}" : c.Path ?? "-",
        }), rightAligned: 0);

    public static void Table(string[] headers, IEnumerable<string[]> rows, int rightAligned = -1, bool header = true)
    {
        var all = rows.ToList();
        var widths = headers.Select((h, i) => all.Select(row => row[i].Length).Append(header ? h.Length : 0).Max()).ToArray();
        var output = new StringBuilder();
        void Line(string[] cells)
        {
            for (var i = 0; i < cells.Length; i++)
            {
                var last = i == cells.Length - 1;
                output.Append(i == rightAligned ? cells[i].PadLeft(widths[i]) : last ? cells[i] : cells[i].PadRight(widths[i]));
                output.Append(last ? "\n" : "  ");
            }
        }

        if (header)
        {
            Line(headers);
        }

        all.ForEach(Line);
        Console.Out.Write(output.ToString());
    }

    public static void WriteJson<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Indented));

    public static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Signed(long value) => (value > 0 ? "+" : string.Empty) + Number(value) + " bytes";

    public static string Size(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MiB"),
    };

    public static string Time(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z" : "-";

    public static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
