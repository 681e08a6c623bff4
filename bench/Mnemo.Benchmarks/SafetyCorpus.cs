using System.Globalization;
using System.Text.Json;
using Mnemo.Memory;
using Mnemo.Memory.Safety;

namespace Mnemo.Benchmarks;

/// <summary>
/// The write-time scanner on labelled corpora (tests/Mnemo.Tests/Memory/Safety/memory-safety-corpus.jsonl and
/// benign-code-notes.jsonl, comma-separated): detection per kind and false positives on benign notes (per split where a
/// line has one), at any confidence and where the default policy acts. Prints Markdown.
/// </summary>
internal static class SafetyCorpus
{
    public static void Run(string path)
    {
        var samples = path.Split(',').SelectMany(File.ReadAllLines).Where(line => line.Length > 0).Select(line => JsonDocument.Parse(line).RootElement)
            .Select(row => (Label: row.GetProperty("label").GetString()!, Split: row.TryGetProperty("split", out var split) ? split.GetString() : null,
                Text: row.GetProperty("text").GetString()!, Format: row.TryGetProperty("format", out var format) ? format.GetString() : null))
            .ToList();
        var safety = MemorySafety.Default;
        Console.WriteLine("| label | samples | found as that kind | default policy acts (redact, reject) |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        foreach (var group in samples.GroupBy(sample => sample.Split is null ? sample.Label : $"{sample.Label} ({sample.Split})").OrderBy(group => group.Key.StartsWith("benign", StringComparison.Ordinal) ? 1 : 0).ThenBy(group => group.Key, StringComparer.Ordinal))
        {
            var found = 0;
            var acted = 0;
            var any = 0;
            foreach (var (label, _, text, format) in group)
            {
                var findings = safety.Scanner.Scan(text);
                any += findings.Count > 0 ? 1 : 0;
                found += findings.Any(finding => finding.KindName == label && (format is null || finding.Rule == format)) ? 1 : 0;
                acted += safety.Screen(new CreateMemoryCommand("/memories/n.md", text)).Action >= MemorySafetyAction.Redact ? 1 : 0;
            }

            var count = group.Count();
            Console.WriteLine(group.Key.StartsWith("benign", StringComparison.Ordinal)
                ? $"| {group.Key} (false positives) | {count} | {any} flagged at any confidence ({Rate(any, count)}) | {acted} ({Rate(acted, count)}) |"
                : $"| {group.Key} | {count} | {found} ({Rate(found, count)}) | {acted} ({Rate(acted, count)}) |");
        }

        foreach (var format in samples.Where(sample => sample.Format is not null).GroupBy(sample => sample.Format!).OrderBy(group => group.Key, StringComparer.Ordinal))
        {
            var caught = format.Count(sample => safety.Scanner.Scan(sample.Text).Any(finding => finding.Rule == format.Key));
            Console.WriteLine($"secret format {format.Key}: {caught}/{format.Count()}");
        }

        static string Rate(int part, int whole) => (part / (double)whole).ToString("P1", CultureInfo.InvariantCulture);
    }
}
