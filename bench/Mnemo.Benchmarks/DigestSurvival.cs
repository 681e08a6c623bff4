using System.Globalization;
using System.Text.Json;
using Mnemo.Context;

namespace Mnemo.Benchmarks;

/// <summary>
/// Prints what the extractive summariser of cleared results keeps of each file of the token corpus read as a tool
/// result: its size against the file's, and the share of the file's identifiers (names of three characters or more)
/// the summary still holds, per file and per category, as the Markdown table in docs/benchmarks.md.
/// </summary>
internal static class DigestSurvival
{
    public static void Run(string folder)
    {
        var corpus = Path.Combine(folder, "corpus");
        var rows = new List<(string Category, string File, int Characters, int Summary, double? Survival)>();
        foreach (var file in Directory.EnumerateFiles(corpus, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var text = File.ReadAllText(file);
            var summary = ExtractiveToolResultSummarizer.Instance.SummarizeAsync("read_file", default, text).AsTask().GetAwaiter().GetResult();
            var name = Path.GetRelativePath(corpus, file).Replace('\\', '/');
            rows.Add((name.Split('/')[0], name, text.Length, summary.Length, ExtractiveToolResultSummarizer.IdentifierSurvival(text, summary)));
        }

        Console.WriteLine("| file | characters | summary | identifiers kept |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var row in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {row.File} | {row.Characters:N0} | {row.Summary:N0} | {(row.Survival is { } kept ? kept.ToString("P0", CultureInfo.InvariantCulture) : "no names")} |"));
        }

        Console.WriteLine();
        Console.WriteLine("| category | files | characters | summary | identifiers kept (mean) |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var group in rows.GroupBy(row => row.Category))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {group.Key} | {group.Count()} | {group.Sum(r => r.Characters):N0} | {group.Sum(r => r.Summary):N0} | {Mean(group):P0} |"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| all (files with names) | {rows.Count(r => r.Survival is not null)} | {rows.Where(r => r.Survival is not null).Sum(r => r.Characters):N0} | {rows.Where(r => r.Survival is not null).Sum(r => r.Summary):N0} | {Mean(rows):P0} |"));
    }

    private static object Mean(IEnumerable<(string Category, string File, int Characters, int Summary, double? Survival)> rows) =>
        rows.Where(r => r.Survival is not null).Select(r => r.Survival!.Value).DefaultIfEmpty(double.NaN).Average() is var mean && double.IsNaN(mean) ? "no names" : mean;
}
