using System.Text.Json;
using Mnemo.Memory;
using Mnemo.Memory.Safety;

namespace Mnemo.Tests.Memory.Safety;

/// <summary>Code is not a secret: notes full of configuration loading, environment lookups, placeholders, templates,
/// fixtures, hashes and URLs without credentials, in many languages (eng/make-benign-notes.py), draw no finding at all.</summary>
public sealed class BenignCodeNotesTests
{
    public static IReadOnlyList<(string Split, string Text)> Notes { get; } = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Memory", "Safety", "benign-code-notes.jsonl"))
        .Where(line => line.Length > 0)
        .Select(line => JsonDocument.Parse(line).RootElement)
        .Select(row => (row.GetProperty("split").GetString()!, row.GetProperty("text").GetString()!))
        .ToList();

    [Fact]
    public void TheCorpus_HasOverThreeHundredNotes_AllInTheDevelopmentSplit()
    {
        Notes.Count.ShouldBeGreaterThanOrEqualTo(300);
        Notes.ShouldAllBe(note => note.Split == "dev", "the rules were tuned on these notes; the held-out split is memory-safety-heldout.jsonl");
    }

    [Fact]
    public void NoNote_DrawsAFinding()
    {
        var flagged = Notes
            .Select(note => (note.Text, Findings: MemoryScanner.Default.Scan(note.Text)))
            .Where(note => note.Findings.Count > 0)
            .Select(note => $"{string.Join(", ", note.Findings)} in: {note.Text[note.Findings[0].Start..Math.Min(note.Text.Length, note.Findings[0].Start + 60)]}")
            .Distinct()
            .ToList();

        flagged.ShouldBeEmpty(string.Join("\n", flagged));
    }

    [Fact]
    public async Task TheIdiomsThatWereMangled_AreWrittenAsGiven()
    {
        var tool = new MemoryTool(new Mnemo.Memory.FileSystem.FileSystemMemoryStore(Directory.CreateTempSubdirectory().FullName)).AsBuilder().UseScreening().Build();
        var text = "password = os.environ[\"DB_PASSWORD\"]\nDB_PASSWORD = os.getenv(\"DB_PASSWORD\")\nSECRET_KEY = config(\"SECRET_KEY\")\ntoken = secrets.token_urlsafe(16)\n";

        var result = await tool.ExecuteAsync(new CreateMemoryCommand("/memories/config.md", text), TestContext.Current.CancellationToken);
        var view = await tool.ExecuteAsync(new ViewMemoryCommand("/memories/config.md"), TestContext.Current.CancellationToken);

        result.Content.ShouldBe("File created successfully at: /memories/config.md");
        view.Content.ShouldContain("     1\tpassword = os.environ[\"DB_PASSWORD\"]\n");
    }
}
