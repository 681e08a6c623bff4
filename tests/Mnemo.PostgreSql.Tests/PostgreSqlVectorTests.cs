using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mnemo.Memory;
using Mnemo.Tests.Memory.Conformance;

namespace Mnemo.PostgreSql.Tests;

/// <summary>Every case recorded from Anthropic's reference, run through the PostgreSQL store: the same strings as on a folder.</summary>
/// <remarks>A database has no symbolic links, so the cases that plant one are the folder store's alone.</remarks>
public sealed class PostgreSqlVectorTests(PostgresServer server)
{
    public static TheoryData<string> CaseNames() => MemoryToolVectorTests.CaseNamesWhere(entry => entry["symlink"] is null);

    [Fact]
    public void Cases_LeaveOutOnlyThoseWithLinks() => CaseNames().Count.ShouldBeGreaterThanOrEqualTo(55);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Case_RunThroughPostgreSqlStore_MatchesReference(string name)
    {
        var ct = TestContext.Current.CancellationToken;
        var testCase = MemoryToolVectorTests.Case(name);
        await using var store = new PostgreSqlMemoryStore(new PostgreSqlMemoryStoreOptions
        {
            ConnectionString = server.ConnectionString,
            Store = "vectors-" + Guid.NewGuid().ToString("N"),
            Quotas = MemoryQuotas.Unlimited, // the cases plant files of up to 1 MiB, as the reference's own tests do
        });
        foreach (var entry in testCase["setup"]!.AsArray())
        {
            await PlantAsync(store, entry!.AsObject(), ct);
        }

        await MemoryToolVectorTests.RunStepsAsync(new MemoryTool(store), testCase, name, ct);

        if (MemoryToolVectorTests.ExpectedFinal(testCase) is { } final)
        {
            (await MemoryToolVectorTests.SnapshotAsync(store, ct)).ShouldBe(final, $"final tree of {name}");
        }
    }

    private static MemoryPath P(string relative) =>
        MemoryPath.TryParse(MemoryPath.Root + "/" + relative, out var path, out _) ? path : throw new ArgumentException(relative);

    private static async Task PlantAsync(PostgreSqlMemoryStore store, JsonObject entry, CancellationToken ct)
    {
        if (entry["file"] is { } file)
        {
            var bytes = MemoryToolVectorTests.PlantedBytes(entry);
            (await store.CreateFileAsync(P(file.GetValue<string>()), bytes, cancellationToken: ct)).ShouldBeTrue();
        }
        else
        {
            // A folder is made by a file inside it, which then goes: the folder stays, as on disk.
            var placeholder = P(entry["dir"]!.GetValue<string>() + "/.placeholder");
            await store.CreateFileAsync(placeholder, Array.Empty<byte>(), cancellationToken: ct);
            await store.DeleteAsync(placeholder, cancellationToken: ct);
        }
    }
}
