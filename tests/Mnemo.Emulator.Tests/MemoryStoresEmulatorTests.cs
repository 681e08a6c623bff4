using System.Security.Cryptography;
using System.Text;
using Anthropic.Exceptions;
using Anthropic.Models.Beta.MemoryStores;
using Anthropic.Models.Beta.MemoryStores.Memories;
using Anthropic.Models.Beta.MemoryStores.MemoryVersions;
using static Mnemo.Emulator.Tests.Emulators;

namespace Mnemo.Emulator.Tests;

/// <summary>The Managed Agents memory API as the emulator serves it, through the official SDK's own calls
/// (<c>client.Beta.MemoryStores</c>, <c>.Memories</c>, <c>.MemoryVersions</c>): paths, preconditions, conflicts,
/// listings by prefix and depth across pages, versions and redaction, and the documented errors.</summary>
public sealed class MemoryStoresEmulatorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Sha(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public async Task Memories_AreCreatedByPath_UpdatedById_UnderTheirContentPrecondition()
    {
        await using var emulator = await StartAsync();
        using var client = emulator.Client();
        var store = await client.Beta.MemoryStores.Create(new MemoryStoreCreateParams { Name = "team", Description = "What the team knows." }, Ct);
        store.ID.ShouldStartWith("memstore_");
        (await client.Beta.MemoryStores.Retrieve(store.ID, new MemoryStoreRetrieveParams(), Ct)).Name.ShouldBe("team");

        var created = await client.Beta.MemoryStores.Memories.Create(store.ID, new MemoryCreateParams { Path = "/notes/a.md", Content = "first\n" }, Ct);
        (created.Path, created.Content, created.ContentSha256, created.ContentSizeBytes).ShouldBe(("/notes/a.md", "first\n", Sha("first\n"), 6));
        created.ID.ShouldStartWith("mem_");

        // A second create at the same path is a path conflict naming the memory there.
        var conflict = await Should.ThrowAsync<AnthropicApiException>(() =>
            client.Beta.MemoryStores.Memories.Create(store.ID, new MemoryCreateParams { Path = "/notes/a.md", Content = "again" }, Ct));
        ((int)conflict.StatusCode).ShouldBe(409);
        conflict.Message.ShouldContain("memory_path_conflict_error");
        conflict.Message.ShouldContain(created.ID);

        // An update under the right hash goes through; under a stale one it is refused and changes nothing.
        var updated = await client.Beta.MemoryStores.Memories.Update(created.ID, new MemoryUpdateParams
        {
            MemoryStoreID = store.ID,
            Content = "second\n",
            Precondition = new BetaManagedAgentsPrecondition { ContentSha256 = Sha("first\n") },
        }, Ct);
        updated.ContentSha256.ShouldBe(Sha("second\n"));
        updated.MemoryVersionID.ShouldNotBe(created.MemoryVersionID);
        var stale = await Should.ThrowAsync<AnthropicApiException>(() => client.Beta.MemoryStores.Memories.Update(created.ID, new MemoryUpdateParams
        {
            MemoryStoreID = store.ID,
            Content = "lost\n",
            Precondition = new BetaManagedAgentsPrecondition { ContentSha256 = Sha("first\n") },
        }, Ct));
        ((int)stale.StatusCode).ShouldBe(409);
        stale.Message.ShouldContain("memory_precondition_failed_error");
        (await client.Beta.MemoryStores.Memories.Retrieve(created.ID, new MemoryRetrieveParams { MemoryStoreID = store.ID }, Ct)).Content.ShouldBe("second\n");

        // A rename keeps the memory's id; onto an occupied path it is a path conflict.
        var renamed = await client.Beta.MemoryStores.Memories.Update(created.ID, new MemoryUpdateParams { MemoryStoreID = store.ID, Path = "/archive/a.md" }, Ct);
        (renamed.ID, renamed.Path, renamed.Content).ShouldBe((created.ID, "/archive/a.md", "second\n"));
        var other = await client.Beta.MemoryStores.Memories.Create(store.ID, new MemoryCreateParams { Path = "/b.md", Content = "b" }, Ct);
        ((int)(await Should.ThrowAsync<AnthropicApiException>(() => client.Beta.MemoryStores.Memories.Update(other.ID,
            new MemoryUpdateParams { MemoryStoreID = store.ID, Path = "/archive/a.md" }, Ct))).StatusCode).ShouldBe(409);
    }

    [Theory]
    [InlineData("notes/a.md", "path: must start with '/'")]
    [InlineData("/notes//a.md", "path: must not contain empty, '.' or '..' segments")]
    [InlineData("/notes/../a.md", "path: must not contain empty, '.' or '..' segments")]
    [InlineData("/notes/", "path: must not contain empty, '.' or '..' segments")]
    [InlineData("/cafe\u0301.md", "path: must be in Unicode normalization form C (NFC)")]
    public async Task ABadPath_IsA400NamingTheRule(string path, string message)
    {
        await using var emulator = await StartAsync();
        using var client = emulator.Client();
        var store = await client.Beta.MemoryStores.Create(new MemoryStoreCreateParams { Name = "s" }, Ct);

        var refused = await Should.ThrowAsync<AnthropicApiException>(() =>
            client.Beta.MemoryStores.Memories.Create(store.ID, new MemoryCreateParams { Path = path, Content = "x" }, Ct));

        ((int)refused.StatusCode).ShouldBe(400);
        refused.Message.ShouldContain(message);
    }

    [Fact]
    public async Task TooLongAPathOrTooLargeAContent_IsRefused_AtTheApisLimits()
    {
        await using var emulator = await StartAsync();
        using var client = emulator.Client();
        var store = await client.Beta.MemoryStores.Create(new MemoryStoreCreateParams { Name = "s" }, Ct);

        (await client.Beta.MemoryStores.Memories.Create(store.ID, new MemoryCreateParams { Path = "/" + new string('p', 1023), Content = new string('x', 100_000) }, Ct))
            .ContentSizeBytes.ShouldBe(100_000);
        ((int)(await Should.ThrowAsync<AnthropicApiException>(() => client.Beta.MemoryStores.Memories.Create(store.ID,
            new MemoryCreateParams { Path = "/" + new string('p', 1024), Content = "x" }, Ct))).StatusCode).ShouldBe(400);
        ((int)(await Should.ThrowAsync<AnthropicApiException>(() => client.Beta.MemoryStores.Memories.Create(store.ID,
            new MemoryCreateParams { Path = "/big.md", Content = new string('é', 50_001) }, Ct))).StatusCode).ShouldBe(400, "100,000 bytes of UTF-8, not characters");
    }

    [Fact]
    public async Task Listing_ByPrefixAndDepth_GivesMemoriesAndPrefixes_AcrossPages()
    {
        await using var emulator = await StartAsync();
        using var client = emulator.Client();
        var store = await client.Beta.MemoryStores.Create(new MemoryStoreCreateParams { Name = "s" }, Ct);
        string[] paths = ["/a.md", "/notes/b.md", "/notes/deep/c.md", "/notes_backup/old.md", .. Enumerable.Range(0, 25).Select(i => $"/many/{i:00}.md")];
        foreach (var path in paths)
        {
            await client.Beta.MemoryStores.Memories.Create(store.ID, new MemoryCreateParams { Path = path, Content = path }, Ct);
        }

        async Task<List<string>> List(MemoryListParams parameters)
        {
            var found = new List<string>();
            var page = await client.Beta.MemoryStores.Memories.List(store.ID, parameters, Ct);
            while (true)
            {
                foreach (var item in page.Items)
                {
                    found.Add(item.TryPickBetaManagedAgentsMemory(out var memory) ? memory.Path + (memory.Content is null ? string.Empty : "=" + memory.Content)
                        : item.TryPickPrefix(out var prefix) ? "prefix " + prefix.Path : "?");
                }

                if (!page.HasNext())
                {
                    return found;
                }

                page = await page.Next(Ct);
            }
        }

        (await List(new MemoryListParams { PathPrefix = "/notes/" })).ShouldBe(["/notes/b.md", "/notes/deep/c.md"], "a prefix with its slash leaves /notes_backup out");
        (await List(new MemoryListParams { PathPrefix = "/", Depth = 1 })).ShouldBe(["/a.md", "prefix /many/", "prefix /notes/", "prefix /notes_backup/"]);
        (await List(new MemoryListParams { PathPrefix = "/notes/", Depth = 1, View = BetaManagedAgentsMemoryView.Full }))
            .ShouldBe(["/notes/b.md=/notes/b.md", "prefix /notes/deep/"]);
        var many = await List(new MemoryListParams { PathPrefix = "/many/", Limit = 10 });
        many.Count.ShouldBe(25, "three pages of at most ten");
        many.ShouldBe(many.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task EveryChange_IsAVersion_NewestFirst_AndAnOldOneCanBeRedacted()
    {
        await using var emulator = await StartAsync();
        using var client = emulator.Client();
        var store = await client.Beta.MemoryStores.Create(new MemoryStoreCreateParams { Name = "s" }, Ct);
        var memory = await client.Beta.MemoryStores.Memories.Create(store.ID, new MemoryCreateParams { Path = "/k.md", Content = "key=secret\n" }, Ct);
        await client.Beta.MemoryStores.Memories.Update(memory.ID, new MemoryUpdateParams { MemoryStoreID = store.ID, Content = "key=[removed]\n" }, Ct);
        await client.Beta.MemoryStores.Memories.Delete(memory.ID, new MemoryDeleteParams { MemoryStoreID = store.ID }, Ct);

        var versions = (await client.Beta.MemoryStores.MemoryVersions.List(store.ID, new MemoryVersionListParams { MemoryID = memory.ID }, Ct)).Items;
        versions.Select(v => v.Operation.Raw()).ShouldBe(["deleted", "modified", "created"]);
        versions.ShouldAllBe(v => v.Content == null, "the basic view leaves content out");
        var first = await client.Beta.MemoryStores.MemoryVersions.Retrieve(versions[2].ID, new MemoryVersionRetrieveParams { MemoryStoreID = store.ID }, Ct);
        first.Content.ShouldBe("key=secret\n");

        var redacted = await client.Beta.MemoryStores.MemoryVersions.Redact(first.ID, new MemoryVersionRedactParams { MemoryStoreID = store.ID }, Ct);
        (redacted.Content, redacted.ContentSha256, redacted.Path).ShouldBe((null, null, null));
        redacted.RedactedAt.ShouldNotBeNull();
        redacted.Operation.Raw().ShouldBe("created", "the record stays");
        ((int)(await Should.ThrowAsync<AnthropicApiException>(() =>
            client.Beta.MemoryStores.Memories.Retrieve(memory.ID, new MemoryRetrieveParams { MemoryStoreID = store.ID }, Ct))).StatusCode).ShouldBe(404);
    }

    [Fact]
    public async Task Workspaces_AreApart_AndTheBetaIsRequired()
    {
        await using var emulator = await StartAsync();
        using var alice = emulator.Client("alice-key");
        using var bob = emulator.Client("bob-key");
        var store = await alice.Beta.MemoryStores.Create(new MemoryStoreCreateParams { Name = "alice's" }, Ct);

        ((int)(await Should.ThrowAsync<AnthropicApiException>(() => bob.Beta.MemoryStores.Retrieve(store.ID, new MemoryStoreRetrieveParams(), Ct))).StatusCode)
            .ShouldBe(404, "another workspace's store is not found");

        var (status, body, _) = await emulator.PostAsync("/v1/memory_stores", """{"name":"x"}""");
        status.ShouldBe(400);
        body.GetProperty("error").GetProperty("message").GetString().ShouldBe("The memory stores API is in beta: send the header anthropic-beta: agent-memory-2026-07-22.");
        (await emulator.PostAsync("/v1/memory_stores", """{"name":"x"}""", beta: "agent-memory-2026-07-22,managed-agents-2026-04-01")).Status.ShouldBe(400);
        (await emulator.PostAsync("/v1/memory_stores", """{"name":"x"}""", beta: "agent-memory-2026-07-22")).Status.ShouldBe(200);
    }

    [Fact]
    public async Task ADream_MovesFromPendingToCompleted_IntoANewStore_AndOneCanBeCanceled()
    {
        await using var emulator = await StartAsync();
        using var client = emulator.Client();
        var store = await client.Beta.MemoryStores.Create(new MemoryStoreCreateParams { Name = "s" }, Ct);
        await client.Beta.MemoryStores.Memories.Create(store.ID, new MemoryCreateParams { Path = "/a.md", Content = "x\nx\n" }, Ct);
        await client.Beta.MemoryStores.Memories.Create(store.ID, new MemoryCreateParams { Path = "/b.md", Content = "x\n" }, Ct);
        var body = new Dictionary<string, System.Text.Json.JsonElement>
        {
            ["inputs"] = System.Text.Json.JsonSerializer.SerializeToElement(new[] { new { type = "memory_store", memory_store_id = store.ID } }),
        };
        global::Anthropic.Models.Beta.Dreams.DreamCreateParams Params() => global::Anthropic.Models.Beta.Dreams.DreamCreateParams.FromRawUnchecked(new Dictionary<string, System.Text.Json.JsonElement>(), new Dictionary<string, System.Text.Json.JsonElement>(), body);

        var dream = await client.Beta.Dreams.Create(Params(), Ct);
        dream.Status.Raw().ShouldBe("pending");
        var statuses = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await client.Beta.Dreams.Retrieve(dream.ID, new global::Anthropic.Models.Beta.Dreams.DreamRetrieveParams(), Ct)).Status.Raw());
        }

        statuses.ShouldBe(["running", "completed", "completed"]);
        var output = dream.Outputs.Single().MemoryStoreID;
        output.ShouldNotBe(store.ID, "a dream writes a new store by default");
        var dreamed = (await client.Beta.MemoryStores.Memories.List(output, new MemoryListParams { View = BetaManagedAgentsMemoryView.Full }, Ct)).Items
            .Select(item => item.TryPickBetaManagedAgentsMemory(out var m) ? $"{m.Path}={m.Content}" : "?");
        dreamed.ShouldBe(["/a.md=x\n"], "repeated lines go, and the same content is kept once");
        (await client.Beta.MemoryStores.Memories.List(store.ID, new MemoryListParams(), Ct)).Items.Count.ShouldBe(2, "the input store is left as it was");

        var canceled = await client.Beta.Dreams.Create(Params(), Ct);
        (await client.Beta.Dreams.Cancel(canceled.ID, new global::Anthropic.Models.Beta.Dreams.DreamCancelParams(), Ct)).Status.Raw().ShouldBe("canceled");
        (await client.Beta.Dreams.Retrieve(canceled.ID, new global::Anthropic.Models.Beta.Dreams.DreamRetrieveParams(), Ct)).Status.Raw().ShouldBe("canceled");

        var (status, error, _) = await emulator.PostAsync("/v1/dreams", "{}", beta: "agent-memory-2026-07-22");
        (status, error.GetProperty("error").GetProperty("message").GetString()).ShouldBe((400, "Dreams are in research preview: send the header anthropic-beta: dreaming-2026-04-21."));
    }

    [Fact]
    public async Task MalformedBodies_Get400_NeverA500()
    {
        await using var emulator = await StartAsync();
        using var client = emulator.Client();
        var store = await client.Beta.MemoryStores.Create(new MemoryStoreCreateParams { Name = "s" }, Ct);
        const string Beta = "agent-memory-2026-07-22,dreaming-2026-04-21";
        (string Path, string Body)[] requests =
        [
            ("/v1/memory_stores", "[]"), ("/v1/memory_stores", """{"name":7}"""), ("/v1/memory_stores", "{"),
            ($"/v1/memory_stores/{store.ID}/memories", """{"path":["/a"],"content":"x"}"""),
            ($"/v1/memory_stores/{store.ID}/memories", """{"path":"/a","content":{"x":1}}"""),
            ($"/v1/memory_stores/{store.ID}/memories", "null"),
            ("/v1/dreams", """{"inputs":[1,"x",null]}"""), ("/v1/dreams", """{"inputs":[{"type":7}]}"""),
            ("/v1/dreams", """{"inputs":{"type":"memory_store"}}"""),
            ("/v1/dreams", $$"""{"inputs":[{"type":"memory_store","memory_store_id":"{{store.ID}}"},{"type":"sessions","session_ids":[1]}]}"""),
            ("/v1/dreams", $$"""{"inputs":[{"type":"memory_store","memory_store_id":"{{store.ID}}"}],"output_behavior":{"type":5},"model":3}"""),
        ];
        foreach (var (path, body) in requests)
        {
            var (status, answer, _) = await emulator.PostAsync(path, body, beta: Beta);
            status.ShouldBe(400, $"{path} {body}");
            answer.GetProperty("error").GetProperty("type").GetString().ShouldBe("invalid_request_error");
        }
    }
}
