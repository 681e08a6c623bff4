using System.Text;
using System.Text.Json;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;
using Mnemo.Tests;

namespace Mnemo.Cli.Tests;

/// <summary>Runs <c>mnemo memory exec</c> as real processes: through a pipe, many at once, and killed mid-write.</summary>
public sealed class MemoryExecCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private string Root => _temp.Combine("memories");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _temp.Dispose();

    private static string Json(object command) => JsonSerializer.Serialize(command);

    private static MemoryPath MemoryPathOf(string path) => MemoryPath.TryParse(path, out var parsed, out _) ? parsed : throw new ArgumentException(path);

    private static (string Content, bool IsError) Parse(string line)
    {
        using var document = JsonDocument.Parse(line);
        return (document.RootElement.GetProperty("content").GetString()!, document.RootElement.GetProperty("is_error").GetBoolean());
    }

    [Theory]
    [InlineData("  ", null)]
    [InlineData("reviewer", "reviewer")]
    public async Task Exec_ABlankActor_NamesTheLoginName_AndANamedOneItself(string given, string? expected)
    {
        using var process = MnemoProcess.Start("memory", "exec", "--dir", Root, "--actor", given);
        await process.StandardInput.WriteLineAsync(Json(new { command = "create", path = "/memories/a.md", file_text = "a" }));
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync(Ct);
        var error = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);

        (process.ExitCode, error).ShouldBe((0, string.Empty));
        Parse(output.Trim()).ShouldBe(("File created successfully at: /memories/a.md", false));
        using var store = new FileSystemMemoryStore(Root);
        (await store.ReadHistoryAsync(Ct)).Single().Actor.ShouldBe(expected ?? Environment.UserName);
    }

    [Fact]
    public async Task Exec_ThroughAPipe_AnswersEachCommandBeforeTheNextIsSent()
    {
        using var process = MnemoProcess.Start("memory", "exec", "--dir", Root);
        string[] commands =
        [
            Json(new { command = "create", path = "/memories/p.md", file_text = "one\n" }),
            Json(new { command = "insert", path = "/memories/p.md", insert_line = 1, insert_text = "two" }),
            Json(new { command = "view", path = "/memories/p.md" }),
        ];
        var answers = new List<(string, bool)>();
        foreach (var command in commands)
        {
            await process.StandardInput.WriteLineAsync(command.AsMemory(), Ct);
            await process.StandardInput.FlushAsync(Ct);
            // The input stays open: an answer can only come if the command ran as soon as its line arrived.
            var line = await process.StandardOutput.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(60), Ct);
            answers.Add(Parse(line!));
        }

        process.StandardInput.Close();
        await process.WaitForExitAsync(Ct);
        process.ExitCode.ShouldBe(0);
        answers.ShouldBe(
        [
            ("File created successfully at: /memories/p.md", false),
            ("The file /memories/p.md has been edited.", false),
            ("Here's the content of /memories/p.md with line numbers:\n     1\tone\n     2\ttwo\n     3\t", false),
        ]);
    }

    [Fact]
    public async Task Exec_HundredThousandCommands_AnswersEveryOneInOrder()
    {
        const int Count = 100_000;
        using var process = MnemoProcess.Start("memory", "exec", "--dir", Root, "--no-sync");
        var writer = Task.Run(async () =>
        {
            await process.StandardInput.WriteLineAsync(Json(new { command = "create", path = "/memories/n.md", file_text = "n\n" }));
            for (var i = 1; i < Count; i++)
            {
                await process.StandardInput.WriteLineAsync(i % 10 == 0
                    ? Json(new { command = "str_replace", path = "/memories/n.md", old_str = $"n{i - 10}\n", new_str = $"n{i}\n" })
                        .Replace("n0\\n", "n\\n", StringComparison.Ordinal)
                    : Json(new { command = "view", path = "/memories/n.md", view_range = new[] { 1, 1 } }));
            }

            process.StandardInput.Close();
        }, Ct);
        var (lines, errors, last) = (0, 0, string.Empty);
        while (await process.StandardOutput.ReadLineAsync(Ct) is { } line)
        {
            var (content, isError) = Parse(line);
            (lines, errors, last) = (lines + 1, errors + (isError ? 1 : 0), content);
        }

        await writer;
        await process.WaitForExitAsync(Ct);
        process.ExitCode.ShouldBe(0);
        lines.ShouldBe(Count);
        errors.ShouldBe(0);
        last.ShouldBe("Here's the content of /memories/n.md with line numbers:\n     1\tn99990");
        File.ReadAllText(Path.Combine(Root, "n.md")).ShouldBe("n99990\n");
    }

    [Theory]
    [InlineData("linux")]
    [InlineData("portable")]
    public async Task Exec_EightProcessesInsertingAtTheTop_LoseNoLine(string engine)
    {
        const int Processes = 8;
        const int Inserts = 200;
        Directory.CreateDirectory(Root);
        File.WriteAllText(Path.Combine(Root, "log.md"), "bottom\n");
        var runs = Enumerable.Range(0, Processes).Select(p => Task.Run(async () =>
        {
            using var process = MnemoProcess.Start(new Dictionary<string, string> { ["MNEMO_FOLDER_ENGINE"] = engine }, null, "memory", "exec", "--dir", Root);
            var input = new StringBuilder();
            for (var i = 0; i < Inserts; i++)
            {
                input.AppendLine(Json(new { command = "insert", path = "/memories/log.md", insert_line = 0, insert_text = $"p{p}-i{i}" }));
            }

            var reading = process.StandardOutput.ReadToEndAsync(Ct);
            await process.StandardInput.WriteAsync(input.ToString().AsMemory(), Ct);
            process.StandardInput.Close();
            var output = await reading;
            await process.WaitForExitAsync(Ct);
            process.ExitCode.ShouldBe(0, await process.StandardError.ReadToEndAsync(Ct));
            return output.TrimEnd('\n').Split('\n').Select(Parse).ToList();
        }, Ct)).ToList();

        var results = (await Task.WhenAll(runs)).SelectMany(r => r).ToList();

        // The portable engine's writers' lock is a lock file; the Linux engine's is flock on the folder itself.
        File.Exists(Path.Combine(Root, FileSystemMemoryStore.MetaDirectoryName, "write.lock")).ShouldBe(engine == "portable");
        results.Count.ShouldBe(Processes * Inserts);
        results.ShouldAllBe(r => r.Content == "The file /memories/log.md has been edited." && !r.IsError);
        var lines = File.ReadAllText(Path.Combine(Root, "log.md")).TrimEnd('\n').Split('\n');
        lines.Length.ShouldBe((Processes * Inserts) + 1);
        lines[^1].ShouldBe("bottom");
        lines[..^1].Distinct().Count().ShouldBe(Processes * Inserts);
        for (var p = 0; p < Processes; p++)
        {
            // Each process inserts at the top, so its own lines appear newest first.
            var own = lines.Where(l => l.StartsWith($"p{p}-", StringComparison.Ordinal)).ToList();
            own.ShouldBe(Enumerable.Range(0, Inserts).Reverse().Select(i => $"p{p}-i{i}").ToList());
        }

        // The history holds every one of the 1,600 edits, each exactly the one before it with one line added at the top,
        // named for the process that made it, and its last version is the file as it is.
        using var store = new FileSystemMemoryStore(Root, new FileSystemMemoryStoreOptions { Engine = Enum.Parse<FolderEngine>(engine, ignoreCase: true) });
        var versions = (await store.ReadHistoryAsync(Ct)).Where(c => c.Path == "/memories/log.md").ToList();
        versions.Count.ShouldBe(Processes * Inserts);
        versions.ShouldAllBe(c => c.Kind == MemoryChangeKind.Edit && c.Reason == "insert");
        var previous = "bottom\n";
        foreach (var version in versions)
        {
            var text = Encoding.UTF8.GetString(version.Files[0].Content!.Value.Span);
            text[(text.IndexOf('\n', StringComparison.Ordinal) + 1)..].ShouldBe(previous, $"change {version.Sequence} is not one insert on the one before");
            previous = text;
        }

        previous.ShouldBe(File.ReadAllText(Path.Combine(Root, "log.md")));
    }

    /// <summary>
    /// Kills a writer with SIGKILL at random moments, many times: every file must be wholly old or wholly new, and no temp
    /// file may be visible. The next store to open the folder removes the hidden ones.
    /// </summary>
    [Fact]
    public async Task Exec_KilledMidStream_LeavesEveryFileWholeAndNoVisibleTempFiles()
    {
        var body = string.Concat(Enumerable.Range(0, 1000).Select(i => $"body line {i:D4} with some padding to make it longer\n"));
        var growPath = MemoryPathOf("/memories/grow.md");
        using (var seed = new FileSystemMemoryStore(Root))
        {
            await new MemoryAdmin(seed).WriteAsync(growPath, Encoding.UTF8.GetBytes(body), cancellationToken: Ct);
            await new MemoryAdmin(seed).WriteAsync(MemoryPathOf("/memories/flip.md"), Encoding.UTF8.GetBytes("marker 0\n" + body), cancellationToken: Ct);
        }

        var random = new Random(20261121);
        var (totalInserts, totalMarker) = (0, 0);
        for (var round = 0; round < 25; round++)
        {
            using var process = MnemoProcess.Start("memory", "exec", "--dir", Root);
            var marker = totalMarker;
            var writer = Task.Run(async () =>
            {
                try
                {
                    for (var i = 0; i < 100_000; i++)
                    {
                        await process.StandardInput.WriteLineAsync(Json(new { command = "insert", path = "/memories/grow.md", insert_line = 0, insert_text = $"insert {round}-{i}" }));
                        await process.StandardInput.WriteLineAsync(Json(new { command = "str_replace", path = "/memories/flip.md", old_str = $"marker {marker + i}\n", new_str = $"marker {marker + i + 1}\n" }));
                    }
                }
                catch (IOException)
                {
                    // The pipe breaks when the process is killed.
                }
            }, Ct);
            var answered = 0;
            var reader = Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync(Ct) is not null)
                {
                    Interlocked.Increment(ref answered);
                }
            }, Ct);

            // Killed after a random number of commands have been answered, so a busy machine moves the moment, not the test.
            var killAfter = random.Next(1, 400);
            await Eventually.WaitUntilAsync(() => Volatile.Read(ref answered) >= killAfter, $"round {round}: {killAfter} answers", Ct);
            process.Kill(); // SIGKILL on Linux, with later commands in flight
            await process.WaitForExitAsync(Ct);
            await writer;
            await reader;

            var grow = File.ReadAllText(Path.Combine(Root, "grow.md"));
            grow.ShouldEndWith(body, customMessage: $"round {round}: grow.md torn");
            var inserted = grow[..^body.Length].Split('\n', StringSplitOptions.RemoveEmptyEntries);
            inserted.ShouldAllBe(l => l.StartsWith("insert ", StringComparison.Ordinal), $"round {round}: grow.md torn");
            totalInserts = inserted.Length;

            var flip = File.ReadAllText(Path.Combine(Root, "flip.md"));
            flip.ShouldEndWith(body, customMessage: $"round {round}: flip.md torn");
            flip[..^body.Length].ShouldMatch(@"^marker \d+\n$", $"round {round}: flip.md torn");
            totalMarker = int.Parse(flip["marker ".Length..flip.IndexOf('\n', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);

            Directory.EnumerateFileSystemEntries(Root).Select(Path.GetFileName).Where(n => !n!.StartsWith('.'))
                .Order(StringComparer.Ordinal).ShouldBe(["flip.md", "grow.md"]);

            // History and content agree: each file's latest recorded version is exactly what the file holds, so no version
            // was recorded without its content, and no content was written without a version. Then grow.md starts over,
            // through the store, so it stays under the store's size limit however many rounds run.
            using var store = new FileSystemMemoryStore(Root);
            var history = await store.ReadHistoryAsync(Ct);
            foreach (var name in (string[])["grow.md", "flip.md"])
            {
                var latest = history.Last(c => c.Files.Any(f => f.Path == "/memories/" + name)).Files.Single(f => f.Path == "/memories/" + name);
                latest.Hash.ShouldBe(MemoryHash.Sha256(File.ReadAllBytes(Path.Combine(Root, name))), $"round {round}: {name} and its history disagree");
            }

            history.Select(c => c.Sequence).ShouldBe(history.Select(c => c.Sequence).Order(), $"round {round}: history out of order");
            await new MemoryAdmin(store).WriteAsync(growPath, Encoding.UTF8.GetBytes(body), cancellationToken: Ct);
        }

        totalInserts.ShouldBeGreaterThan(0, "the writers must have made progress before being killed");
        totalMarker.ShouldBeGreaterThan(0);
        using (new Mnemo.Memory.FileSystem.FileSystemMemoryStore(Root))
        {
            Directory.EnumerateFileSystemEntries(Root).Select(Path.GetFileName).Order(StringComparer.Ordinal).ShouldBe([".mnemo", "flip.md", "grow.md"]);
        }
    }
}
