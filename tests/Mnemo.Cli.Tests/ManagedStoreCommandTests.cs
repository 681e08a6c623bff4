using System.Text.Json;
using Anthropic;
using Anthropic.Core;
using Anthropic.Models.Beta.MemoryStores;
using Anthropic.Models.Beta.MemoryStores.Memories;
using Mnemo.Emulator;
using Mnemo.Memory;
using Mnemo.Tests;

namespace Mnemo.Cli.Tests;

/// <summary><c>mnemo memory exec --anthropic-store</c> as a real process, on a managed memory store the emulator keeps:
/// the commands' strings, and the memories where an agent on Managed Agents would see them.</summary>
public sealed class ManagedStoreCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Exec_OnAManagedStore_WritesUnderItsPrefix_WithTheToolsStrings()
    {
        await using var managed = await Managed.StartAsync();
        var (client, store, environment) = (managed.Client, managed.Store, managed.Environment);

        using var process = MnemoProcess.Start(environment, null, "memory", "exec", "--anthropic-store", store.ID, "--anthropic-prefix", "/team/");
        await process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(new { command = "create", path = "/memories/notes.md", file_text = "shared\n" }));
        await process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(new { command = "view", path = "/memories/notes.md" }));
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync(Ct);
        var error = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);

        (process.ExitCode, error).ShouldBe((0, string.Empty));
        var answers = output.Trim().Split('\n').Select(line => JsonDocument.Parse(line).RootElement.GetProperty("content").GetString()).ToList();
        answers.ShouldBe(["File created successfully at: /memories/notes.md", "Here's the content of /memories/notes.md with line numbers:\n     1\tshared\n     2\t"]);
        var page = await client.Beta.MemoryStores.Memories.List(store.ID, new MemoryListParams { View = BetaManagedAgentsMemoryView.Full }, Ct);
        page.Items.Select(item => item.TryPickBetaManagedAgentsMemory(out var memory) ? $"{memory.Path}={memory.Content}" : "?").ShouldBe(["/team/notes.md=shared\n"]);
    }

    [Fact]
    public async Task ReviewDiff_WithAManagedStore_KeepsThePatternsThere_ForTheNextPullRequest()
    {
        await using var managed = await Managed.StartAsync();
        var (client, store, environment) = (managed.Client, managed.Store, managed.Environment);
        using var temp = new TempDirectory();
        var repository = temp.Combine("repo");
        await SamplePullRequests.MakeRepositoryAsync(repository, Ct);

        // The key is set for the store; --script keeps the reviewer's words scripted.
        string[] review = ["review", "--no-records", "--anthropic-store", store.ID, "--anthropic-prefix", "/code-review/", "--json",
            "--script", MnemoProcess.InRepository("samples", "code-review", "assistant.yaml")];
        var first = await MnemoProcess.RunAsync(environment, repository, Ct, [.. review, "--diff", SamplePullRequests.ScrapeStats]);
        var second = await MnemoProcess.RunAsync(environment, repository, Ct, [.. review, "--diff", SamplePullRequests.AsyncHostBudget]);

        first.ExitCode.ShouldBe(0, first.Error);
        second.ExitCode.ShouldBe(0, second.Error);
        using var json = JsonDocument.Parse(second.Output);
        json.RootElement.GetProperty("findings")[0].GetProperty("pattern").GetString().ShouldBe("lost-update-race");
        var page = await client.Beta.MemoryStores.Memories.List(store.ID, new MemoryListParams { View = BetaManagedAgentsMemoryView.Full }, Ct);
        var note = page.Items.Select(item => item.TryPickBetaManagedAgentsMemory(out var memory) ? memory : null).Single(memory => memory?.Path == "/code-review/patterns/lost-update-race.md")!;
        note.Content!.ShouldContain("Seen in:\n- async_fetcher.py HostBudget.try_spend (asyncio)");
    }

    [Fact]
    public async Task Copy_FromAFolderToAManagedStoreAndBack_PlansFirst_SkipsWhatIsTooLarge_AndChangesNothingTheSecondTime()
    {
        await using var managed = await Managed.StartAsync();
        var (client, store, environment) = (managed.Client, managed.Store, managed.Environment);
        using var temp = new TempDirectory();
        var from = temp.Combine("from");
        Directory.CreateDirectory(Path.Combine(from, "patterns"));
        File.WriteAllText(Path.Combine(from, "notes.md"), "notes\n");
        File.WriteAllText(Path.Combine(from, "patterns", "race.md"), "lost updates\n");
        File.WriteAllText(Path.Combine(from, "huge.md"), new string('x', 150_000));
        var folderOfStore = store.ID + ":/team/";

        var dry = await MnemoProcess.RunAsync(environment, null, Ct, "memory", "copy", from, folderOfStore, "--dry-run");
        (dry.ExitCode, dry.Error).ShouldBe((0, string.Empty));
        dry.Output.ShouldContain("would create  /memories/notes.md");
        dry.Output.TrimEnd().Split('\n')[^1].ShouldBe("Plan: 3 to create, 0 to update, 0 to delete, 0 the same, 0 skipped.");
        (await client.Beta.MemoryStores.Memories.List(store.ID, new MemoryListParams(), Ct)).Items.ShouldBeEmpty("a dry run writes nothing");

        var copied = await MnemoProcess.RunAsync(environment, null, Ct, "memory", "copy", from, folderOfStore, "--actor", "ops");
        copied.ExitCode.ShouldBe(1, "a file was skipped");
        copied.Output.ShouldContain("skip    /memories/huge.md: too large for the target");
        copied.Output.TrimEnd().Split('\n')[^1].ShouldBe("Copied: 2 created, 0 updated, 0 deleted, 0 the same, 1 skipped.");
        var page = await client.Beta.MemoryStores.Memories.List(store.ID, new MemoryListParams(), Ct);
        page.Items.Select(item => item.TryPickBetaManagedAgentsMemory(out var memory) ? memory.Path : "?").ShouldBe(["/team/notes.md", "/team/patterns/race.md"]);

        var back = temp.Combine("back");
        (await MnemoProcess.RunAsync(environment, null, Ct, "memory", "copy", folderOfStore, back)).ExitCode.ShouldBe(0);
        File.ReadAllText(Path.Combine(back, "patterns", "race.md")).ShouldBe("lost updates\n");
        var again = await MnemoProcess.RunAsync(environment, null, Ct, "memory", "copy", folderOfStore, back);
        (again.ExitCode, again.Output.TrimEnd()).ShouldBe((0, "Nothing to change: 0 to create, 0 to update, 0 to delete, 2 the same, 0 skipped."));
    }

    [Fact]
    public async Task Dream_ShowsItsProgressAndResultAsADiff_AndTakesAllSomeOrNone()
    {
        await using var managed = await Managed.StartAsync();
        var (client, store, environment) = (managed.Client, managed.Store, managed.Environment);
        foreach (var (path, content) in new[] { ("/a.md", "tabs\ntabs\nno globals\n"), ("/b.md", "same\n"), ("/c.md", "same\n") })
        {
            await client.Beta.MemoryStores.Memories.Create(store.ID, new MemoryCreateParams { Path = path, Content = content }, Ct);
        }

        var shown = await MnemoProcess.RunAsync(environment, null, Ct, "memory", "dream", "--anthropic-store", store.ID, "--poll", "0.01", "--instructions", "Tidy up.");
        shown.ExitCode.ShouldBe(0, shown.Error);
        shown.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line[(line.LastIndexOf(':') + 2)..]).ShouldBe(["pending", "running", "completed"]);
        shown.Output.ShouldContain("--- a/memories/a.md\n+++ b/memories/a.md");
        shown.Output.ShouldContain("-tabs\n");
        shown.Output.ShouldContain("--- a/memories/c.md\n+++ /dev/null");
        shown.Output.TrimEnd().Split('\n')[^1].ShouldBe("2 changes; none taken (--accept all, or --accept PATH for some).");
        (await Content(client, store.ID, "/a.md")).ShouldBe("tabs\ntabs\nno globals\n", "nothing taken yet");

        var some = await MnemoProcess.RunAsync(environment, null, Ct, "memory", "dream", "--anthropic-store", store.ID, "--poll", "0.01", "--accept", "/memories/a.md");
        (some.ExitCode, some.Output.TrimEnd().Split('\n')[^1]).ShouldBe((0, "Took 1 of 2 changes."));
        (await Content(client, store.ID, "/a.md")).ShouldBe("tabs\nno globals\n");
        (await Content(client, store.ID, "/c.md")).ShouldBe("same\n");

        using var temp = new TempDirectory();
        var folder = temp.Combine("memories");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "x.md"), "one\none\n");
        var fromFolder = await MnemoProcess.RunAsync(environment, null, Ct, "memory", "dream", "--from", folder, "--into", folder, "--poll", "0.01", "--accept", "all", "--actor", "ops");
        fromFolder.ExitCode.ShouldBe(0, fromFolder.Error);
        fromFolder.Error.ShouldStartWith("mnemo: copied 1 files into memstore_");
        File.ReadAllText(Path.Combine(folder, "x.md")).ShouldBe("one\n");
        using var local = new Mnemo.Memory.FileSystem.FileSystemMemoryStore(folder);
        (await local.ReadHistoryAsync(Ct)).Last().Reason!.ShouldStartWith("dream dream_");
    }

    [Fact]
    public async Task TheAdminVerbs_AndTheServer_RunOnAManagedStore()
    {
        await using var managed = await Managed.StartAsync();
        var (client, store, environment) = (managed.Client, managed.Store, managed.Environment);
        using var temp = new TempDirectory();
        var keysFile = temp.Combine("keys.json");
        var key = (await MnemoProcess.RunAsync(Ct, "serve", "keys", "add", "--keys", keysFile, "--store", "team", "--name", "ci")).Output.Trim();

        // The server's store "team" is the folder /team/ of the managed store.
        using (var server = MnemoProcess.Start(environment, null, "serve", "--backend", "anthropic", "--anthropic-store", store.ID, "--keys", keysFile, "--port", "0"))
        {
            try
            {
                var address = ServeCommandTests.AddressIn((await server.StandardError.ReadLineAsync(Ct))!);
                using var remote = new Mnemo.Memory.Remote.HttpMemoryStore(new Mnemo.Memory.Remote.HttpMemoryStoreOptions { Endpoint = new Uri(address), Store = "team", ApiKey = key });
                var tool = new Mnemo.Memory.MemoryTool(remote);
                (await tool.ExecuteAsync(new Mnemo.Memory.CreateMemoryCommand("/memories/notes.md", "first\n"), Ct)).IsError.ShouldBeFalse();
                (await tool.ExecuteAsync(new Mnemo.Memory.StrReplaceMemoryCommand("/memories/notes.md", "first", "second"), Ct)).IsError.ShouldBeFalse();
            }
            finally
            {
                server.Kill();
                await server.WaitForExitAsync(Ct);
            }
        }

        (await Content(client, store.ID, "/team/notes.md")).ShouldBe("second\n");
        var history = await MnemoProcess.RunAsync(environment, null, Ct, "memory", "history", "--anthropic-store", store.ID, "--anthropic-prefix", "/team/", "--json");
        history.ExitCode.ShouldBe(0, history.Error);
        using var changes = JsonDocument.Parse(history.Output);
        changes.RootElement.EnumerateArray().Select(change => change.GetProperty("op").GetString()).ShouldBe(["create", "edit"]);
        var cat = await MnemoProcess.RunAsync(environment, null, Ct, "memory", "cat", "--anthropic-store", store.ID, "--anthropic-prefix", "/team/", "notes.md", "--version", "1");
        (cat.ExitCode, cat.Output).ShouldBe((0, "first\n"));
    }

    [Fact]
    public async Task ADreamCanceledWhileItRuns_IsOneLine_AndTakesNothing()
    {
        await using var managed = await Managed.StartAsync();
        var (client, store, environment) = (managed.Client, managed.Store, managed.Environment);
        await client.Beta.MemoryStores.Memories.Create(store.ID, new MemoryCreateParams { Path = "/a.md", Content = "x\nx\n" }, Ct);

        using var process = MnemoProcess.Start(environment, null, "memory", "dream", "--anthropic-store", store.ID, "--poll", "5", "--accept", "all");
        var started = (await process.StandardError.ReadLineAsync(Ct))!;
        var id = started.Split(' ')[2];
        id.ShouldStartWith("dream_");
        await client.Beta.Dreams.Cancel(id, new global::Anthropic.Models.Beta.Dreams.DreamCancelParams(), Ct);
        var rest = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);

        process.ExitCode.ShouldBe(1);
        rest.Trim().ShouldBe($"mnemo: dream {id}: canceled\nmnemo: dream {id} was canceled.");
        (await Content(client, store.ID, "/a.md")).ShouldBe("x\nx\n", "nothing taken");
    }

    private static async Task<string?> Content(AnthropicClient client, string store, string path)
    {
        var page = await client.Beta.MemoryStores.Memories.List(store, new MemoryListParams { PathPrefix = path, View = BetaManagedAgentsMemoryView.Full }, Ct);
        return page.Items.Select(item => item.TryPickBetaManagedAgentsMemory(out var memory) && memory.Path == path ? memory.Content : null).FirstOrDefault();
    }

    /// <summary>An emulator with one managed store, "team", and the environment a process needs to reach it.</summary>
    private sealed class Managed : IAsyncDisposable
    {
        private Managed(MessagesEmulator emulator, AnthropicClient client, BetaManagedAgentsMemoryStore store)
        {
            (Emulator, Client, Store) = (emulator, client, store);
            Environment = new Dictionary<string, string>
            {
                ["ANTHROPIC_API_KEY"] = "test-key",
                ["ANTHROPIC_BASE_URL"] = emulator.BaseAddress.ToString().TrimEnd('/'),
            };
        }

        public MessagesEmulator Emulator { get; }

        public AnthropicClient Client { get; }

        public BetaManagedAgentsMemoryStore Store { get; }

        public Dictionary<string, string> Environment { get; }

        public static async Task<Managed> StartAsync()
        {
            var emulator = await MessagesEmulator.StartAsync(new MessagesEmulatorOptions(), Ct);
            var client = new AnthropicClient(new ClientOptions { ApiKey = "test-key", BaseUrl = emulator.BaseAddress.ToString().TrimEnd('/') });
            return new Managed(emulator, client, await client.Beta.MemoryStores.Create(new MemoryStoreCreateParams { Name = "team" }, Ct));
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await Emulator.DisposeAsync();
        }
    }
}
