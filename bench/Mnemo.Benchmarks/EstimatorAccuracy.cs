using System.Globalization;
using System.Text.Json;
using Mnemo.Tokens;

namespace Mnemo.Benchmarks;

/// <summary>
/// Prints the estimator's count against the reference tokenizers' for every file of the token corpus, and per category,
/// as the Markdown tables in docs/context-editing.md. The references are counted by bench/tokens/reference.mjs.
/// </summary>
internal static class EstimatorAccuracy
{
    public static void Run(string folder)
    {
        using var reference = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "reference.json")));
        var tokenizers = reference.RootElement.GetProperty("tokenizers").EnumerateObject().Select(p => p.Name).ToArray();
        var rows = new List<(string Category, string File, long Bytes, long Estimate, long[] Reference)>();
        foreach (var file in reference.RootElement.GetProperty("files").EnumerateObject())
        {
            var estimate = TokenEstimator.Estimate(File.ReadAllBytes(Path.Combine(folder, "corpus", file.Name)));
            rows.Add((file.Name.Split('/')[0], file.Name, file.Value.GetProperty("bytes").GetInt64(), estimate,
                [.. tokenizers.Select(t => file.Value.GetProperty(t).GetInt64())]));
        }

        foreach (var tokenizer in reference.RootElement.GetProperty("tokenizers").EnumerateObject())
        {
            Console.WriteLine($"- `{tokenizer.Name}`: {tokenizer.Value.GetString()}");
        }

        Console.WriteLine();
        Console.WriteLine($"| file | bytes | estimate | {string.Join(" | ", tokenizers)} | estimate / {string.Join(" | estimate / ", tokenizers)} |");
        Console.WriteLine($"|---|---:|---:|{string.Concat(Enumerable.Repeat("---:|", tokenizers.Length * 2))}");
        foreach (var row in rows)
        {
            Print(row.File, row.Bytes, row.Estimate, row.Reference);
        }

        Console.WriteLine();
        Console.WriteLine($"| category | bytes | estimate | {string.Join(" | ", tokenizers)} | estimate / {string.Join(" | estimate / ", tokenizers)} |");
        Console.WriteLine($"|---|---:|---:|{string.Concat(Enumerable.Repeat("---:|", tokenizers.Length * 2))}");
        foreach (var group in rows.GroupBy(r => r.Category).Append(rows.GroupBy(_ => "all").Single()))
        {
            Print(group.Key, group.Sum(r => r.Bytes), group.Sum(r => r.Estimate),
                [.. Enumerable.Range(0, tokenizers.Length).Select(i => group.Sum(r => r.Reference[i]))]);
        }
    }

    private static void Print(string name, long bytes, long estimate, long[] reference) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {bytes:N0} | {estimate:N0} | {string.Join(" | ", reference.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))} | {string.Join(" | ", reference.Select(r => ((double)estimate / r).ToString("0.00", CultureInfo.InvariantCulture)))} |"));
}
