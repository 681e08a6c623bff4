using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mnemo.Anthropic.ManagedMemory;
using Mnemo.Memory;
using Mnemo.Tests.Memory.Conformance;

namespace Mnemo.Anthropic.Tests.ManagedMemory;

/// <summary>The cases recorded from Anthropic's reference, run through a managed memory store (the emulator's, through
/// the SDK): the same strings as on a folder.</summary>
/// <remarks>A managed store holds text memories addressed by path, so the cases that plant a link, an empty folder,
/// bytes that are not UTF-8 or a file over the API's 100,000 bytes are the folder store's alone.</remarks>
public sealed class AnthropicMemoryStoreVectorTests : IAsyncLifetime
{
    private ManagedStore _managed = null!;

    public async ValueTask InitializeAsync() => _managed = await ManagedStore.StartAsync("vectors");

    public async ValueTask DisposeAsync() => await _managed.DisposeAsync();

    public static TheoryData<string> CaseNames() => MemoryToolVectorTests.CaseNamesWhere(Plantable);

    [Fact]
    public void Cases_LeaveOutOnlyWhatAManagedStoreCannotHold() => CaseNames().Count.ShouldBeGreaterThanOrEqualTo(52);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Case_RunThroughAManagedStore_MatchesReference(string name)
    {
        var ct = TestContext.Current.CancellationToken;
        var testCase = MemoryToolVectorTests.Case(name);
        using var store = _managed.Open("/" + name.Replace('/', '-') + "/");
        foreach (var entry in testCase["setup"]!.AsArray())
        {
            var file = entry!["file"]!.GetValue<string>();
            (await store.CreateFileAsync(P(file), MemoryToolVectorTests.PlantedBytes(entry.AsObject()), cancellationToken: ct)).ShouldBeTrue(file);
        }

        await MemoryToolVectorTests.RunStepsAsync(new MemoryTool(store), testCase, name, ct);

        if (MemoryToolVectorTests.ExpectedFinal(testCase) is { } final)
        {
            (await MemoryToolVectorTests.SnapshotAsync(store, ct)).ShouldBe(final, $"final tree of {name}");
        }
    }

    private static bool Plantable(JsonObject entry)
    {
        if (entry["file"] is null)
        {
            return false; // a link or an empty folder
        }

        var bytes = MemoryToolVectorTests.PlantedBytes(entry);
        return bytes.Length <= AnthropicMemoryStoreOptions.MaxMemoryBytes && Utf8(bytes);
    }

    private static bool Utf8(byte[] bytes)
    {
        try
        {
            _ = new UTF8Encoding(false, true).GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static MemoryPath P(string relative) =>
        MemoryPath.TryParse(MemoryPath.Root + "/" + relative, out var path, out _) ? path : throw new ArgumentException(relative);
}
