using System.Text;
using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;
using Mnemo.Memory.Safety;

namespace Mnemo.Benchmarks;

/// <summary>
/// The write-time scanner over benign notes (the corpus's, repeated to the size), against the bare operation beneath it:
/// one compiled regular expression over the same text. Throughput in MB/s is the size over the mean.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 15)]
public partial class MemoryScannerBenchmarks
{
    private string _text = null!;

    /// <summary>Gets or sets the text's size in bytes (the corpus's notes are ASCII but for a few).</summary>
    [Params(2 * 1024, 100 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var corpus = Path.Combine(AppContext.BaseDirectory, "memory-safety-corpus.jsonl");
        var notes = File.ReadAllLines(corpus).Where(line => line.Length > 0).Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement)
            .Where(row => row.GetProperty("label").GetString() == "benign").Select(row => row.GetProperty("text").GetString()!).ToList();
        var text = new StringBuilder();
        for (var i = 0; text.Length < Size; i++)
        {
            text.Append(notes[i % notes.Count]).Append('\n');
        }

        _text = text.ToString(0, Size);
    }

    [Benchmark(Baseline = true, Description = "bare: one compiled regex (AWS key id) over the text")]
    public int OneRegex() => AwsKeyId().Count(_text);

    [Benchmark(Description = "scanner: every rule and the hidden-character pass")]
    public int Scan() => MemoryScanner.Default.Scan(_text).Count;

    [GeneratedRegex(@"\b(?:AKIA|ASIA)[A-Z2-7]{16}\b", RegexOptions.CultureInvariant)]
    private static partial Regex AwsKeyId();
}
