using System.Net;
using System.Text;
using Anthropic;
using Anthropic.Core;
using Anthropic.Models.Beta.MemoryStores.Memories;
using Mnemo.Anthropic.ManagedMemory;
using Microsoft.Extensions.DependencyInjection;
using Mnemo.Memory;

namespace Mnemo.Anthropic.Tests.ManagedMemory;

/// <summary>What the managed store adds to the conformance suite: one memory shared with agents that use the API
/// directly, the folder a prefix keeps the tool to, the API's limits in the tool's words, and writes whose answers are
/// lost applied once.</summary>
public sealed class AnthropicMemoryStoreTests : IAsyncLifetime
{
    private ManagedStore _managed = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _managed = await ManagedStore.StartAsync();

    public async ValueTask DisposeAsync() => await _managed.DisposeAsync();

    [Fact]
    public async Task AManagedAgentsWrite_AndTheToolsWrite_AreOneMemory_UnderTheFolderThePrefixNames()
    {
        // What a Managed Agents session (or the Console) wrote, through the API itself.
        var memories = _managed.Client.Beta.MemoryStores.Memories;
        await memories.Create(_managed.Id, new MemoryCreateParams { Path = "/agents/reviewer/conventions.md", Content = "Use tabs.\n" }, Ct);
        await memories.Create(_managed.Id, new MemoryCreateParams { Path = "/agents/planner/secret-plan.md", Content = "not the reviewer's\n" }, Ct);
        using var store = _managed.Open("/agents/reviewer");
        var tool = new MemoryTool(store);

        (await tool.ExecuteAsync("""{"command":"view","path":"/memories/conventions.md"}""", Ct)).Content
            .ShouldBe("Here's the content of /memories/conventions.md with line numbers:\n     1\tUse tabs.\n     2\t");
        var listing = (await tool.ExecuteAsync("""{"command":"view","path":"/memories"}""", Ct)).Content;
        listing.ShouldContain("/memories/conventions.md");
        listing.ShouldNotContain("secret-plan", Case.Sensitive, "the prefix keeps the tool to its folder");
        (await tool.ExecuteAsync("""{"command":"create","path":"/memories/patterns/race.md","file_text":"Lost updates.\n"}""", Ct)).IsError.ShouldBeFalse();
        (await tool.ExecuteAsync("""{"command":"str_replace","path":"/memories/conventions.md","old_str":"tabs","new_str":"spaces"}""", Ct)).IsError.ShouldBeFalse();

        var page = await memories.List(_managed.Id, new MemoryListParams { PathPrefix = "/agents/reviewer/", View = BetaManagedAgentsMemoryView.Full }, Ct);
        page.Items.Select(item => item.TryPickBetaManagedAgentsMemory(out var m) ? $"{m.Path}={m.Content}" : "?")
            .ShouldBe(["/agents/reviewer/conventions.md=Use spaces.\n", "/agents/reviewer/patterns/race.md=Lost updates.\n"]);
    }

    [Fact]
    public async Task TheApisLimits_AreTheToolsQuotaMessages_BeforeAnyRequest()
    {
        using var store = _managed.Open();
        var tool = new MemoryTool(store);

        var big = await tool.ExecuteAsync(new CreateMemoryCommand("/memories/big.md", new string('x', 100_001)), Ct);
        big.IsError.ShouldBeTrue();
        big.Content.ShouldContain("100,000");
        var deep = await tool.ExecuteAsync(new CreateMemoryCommand("/memories/" + string.Join('/', Enumerable.Repeat(new string('d', 200), 6)) + ".md", "x"), Ct);
        deep.IsError.ShouldBeTrue();
        deep.Content.ShouldContain("1,024");
        (await new MemoryTool(store).ExecuteAsync(new CreateMemoryCommand("/memories/fits.md", new string('x', 100_000)), Ct)).IsError.ShouldBeFalse();
        var decomposed = await tool.ExecuteAsync(new CreateMemoryCommand("/memories/cafe\u0301.md", "x"), Ct);
        (decomposed.IsError, decomposed.Content).ShouldBe((true,
            "The memory store could not complete the create command: a managed memory store takes paths in Unicode NFC only, and /memories/cafe\u0301.md is not (write its accented letters precomposed)"));
        (await tool.ExecuteAsync(new CreateMemoryCommand("/memories/caf\u00e9.md", "x"), Ct)).IsError.ShouldBeFalse();
    }

    [Fact]
    public async Task WritesWhoseAnswersAreLost_AreAppliedOnce()
    {
        using var losing = new AnswerLosingHandler();
        using var client = new AnthropicClient(new ClientOptions
        {
            ApiKey = "test-key",
            BaseUrl = _managed.Emulator.BaseAddress.ToString().TrimEnd('/'),
            HttpClient = new HttpClient(losing),
        });
        using var store = new AnthropicMemoryStore(client, new AnthropicMemoryStoreOptions { MemoryStoreId = _managed.Id, RetryDelay = TimeSpan.FromMilliseconds(5) });
        var tool = new MemoryTool(store);

        (await tool.ExecuteAsync(new CreateMemoryCommand("/memories/log.md", "end\n"), Ct)).IsError.ShouldBeFalse();
        for (var i = 0; i < 6; i++)
        {
            var result = await tool.ExecuteAsync(new InsertMemoryCommand("/memories/log.md", 0, $"line {i}"), Ct);
            result.IsError.ShouldBeFalse(result.Content);
        }

        losing.Lost.ShouldBeGreaterThanOrEqualTo(3, "every other write's answer was lost after the API applied it");
        var text = Encoding.UTF8.GetString((await store.ReadAsync(MemoryPath.TryParse("/memories/log.md", out var path, out _) ? path : null!, Ct))!.Content.Span);
        text.ShouldBe("line 5\nline 4\nline 3\nline 2\nline 1\nline 0\nend\n", "each insert once, none twice");
    }

    [Fact]
    public async Task FromTheServiceContainer_OnTheApplicationsClient_EachScopeIsAFolderOfTheStore()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        services.AddSingleton<IAnthropicClient>(_managed.Client);
        services.AddMnemoMemory().WithAnthropicStore(_managed.Id, o => o.PathPrefix = "/users").WithScopes();
        services.AddKeyedMnemoMemory("shared").WithAnthropicStore(_managed.Id, o => o.PathPrefix = "/shared");
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<Microsoft.Extensions.Options.IAsyncStartupValidator>().ValidateAsync(Ct);

        var scopes = provider.GetRequiredService<Mnemo.Hosting.IMemoryScopes>();
        await scopes.Tool(MemoryScope.Create("alice")).ExecuteAsync(new CreateMemoryCommand("/memories/prefs.md", "tabs\n"), Ct);
        (await scopes.Tool(MemoryScope.Create("bob")).ExecuteAsync(new ViewMemoryCommand("/memories/prefs.md"), Ct)).IsError.ShouldBeTrue("bob's folder is another");
        await provider.GetRequiredKeyedService<IMemoryTool>("shared").ExecuteAsync(new CreateMemoryCommand("/memories/team.md", "hello\n"), Ct);

        var page = await _managed.Client.Beta.MemoryStores.Memories.List(_managed.Id, new MemoryListParams(), Ct);
        page.Items.Select(item => item.TryPickBetaManagedAgentsMemory(out var m) ? m.Path : "?").ShouldBe(["/shared/team.md", "/users/u-alice/prefs.md"]);
    }

    /// <summary>Lets every other write through to the API, then loses its answer (a 503 in its place), as a proxy might.</summary>
    private sealed class AnswerLosingHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _writes;
        private int _lost;

        public int Lost => Volatile.Read(ref _lost);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.Method != HttpMethod.Post || Interlocked.Increment(ref _writes) % 2 != 0)
            {
                return response;
            }

            response.Dispose();
            Interlocked.Increment(ref _lost);
            return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
            {
                Content = new StringContent("""{"type":"error","error":{"type":"api_error","message":"upstream reset"}}""", Encoding.UTF8, "application/json"),
            };
        }
    }
}

/// <summary>The managed store's history, read from the API's memory versions, under Mnemo's admin operations.</summary>
public sealed class AnthropicMemoryStoreHistoryTests : IAsyncLifetime
{
    private ManagedStore _managed = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _managed = await ManagedStore.StartAsync();

    public async ValueTask DisposeAsync() => await _managed.DisposeAsync();

    private static MemoryPath P(string path) => MemoryPath.TryParse(path, out var parsed, out _) ? parsed : throw new ArgumentException(path);

    [Fact]
    public async Task History_FollowsEveryCommand_RestoreBringsBackADeletedFile_AndRedactClearsAnOldVersion()
    {
        using var store = _managed.Open("/team/");
        var tool = new MemoryTool(store);
        await tool.ExecuteAsync(new CreateMemoryCommand("/memories/keys.md", "token=ghp_secret\n"), Ct);
        await tool.ExecuteAsync(new StrReplaceMemoryCommand("/memories/keys.md", "ghp_secret", "[removed]"), Ct);
        await tool.ExecuteAsync(new RenameMemoryCommand("/memories/keys.md", "/memories/creds.md"), Ct);
        await tool.ExecuteAsync(new DeleteMemoryCommand("/memories/creds.md"), Ct);
        await _managed.Client.Beta.MemoryStores.Memories.Create(_managed.Id, new MemoryCreateParams { Path = "/elsewhere.md", Content = "not ours" }, Ct);
        var admin = new MemoryAdmin(store);

        var history = await admin.HistoryAsync(cancellationToken: Ct);
        history.Select(change => (change.Kind, change.Path, change.From)).ShouldBe(
        [
            (MemoryChangeKind.Create, "/memories/keys.md", null),
            (MemoryChangeKind.Edit, "/memories/keys.md", null),
            (MemoryChangeKind.Rename, "/memories/creds.md", "/memories/keys.md"),
            (MemoryChangeKind.Delete, "/memories/creds.md", null),
        ], "the versions under the store's folder, and nothing outside it");
        history.ShouldAllBe(change => change.Actor!.StartsWith("api:apikey_", StringComparison.Ordinal));
        history[3].Files.Single().Content!.Value.ToArray().ShouldBe(Encoding.UTF8.GetBytes("token=[removed]\n"), "a delete holds the content it removed");

        var (restored, _) = await admin.RestoreAsync(P("/memories/creds.md"), cancellationToken: Ct);
        restored.Kind.ShouldBe(MemoryChangeKind.Delete);
        (await tool.ExecuteAsync(new ViewMemoryCommand("/memories/creds.md"), Ct)).Content.ShouldContain("token=[removed]");

        var leaked = MemoryHash.Sha256(Encoding.UTF8.GetBytes("token=ghp_secret\n"));
        (await store.RedactAsync(leaked, cancellationToken: Ct)).ShouldBe(1);
        var texts = (await admin.HistoryAsync(cancellationToken: Ct)).SelectMany(change => change.Files).Where(file => file.Content is not null)
            .Select(file => Encoding.UTF8.GetString(file.Content!.Value.ToArray())).ToList();
        texts.ShouldNotBeEmpty();
        texts.ShouldAllBe(text => !text.Contains("ghp_secret"));
        await Should.ThrowAsync<MemoryStoreException>(async () => await store.ImportAsync(new MemorySnapshot([], [], []), Ct));
    }
}
