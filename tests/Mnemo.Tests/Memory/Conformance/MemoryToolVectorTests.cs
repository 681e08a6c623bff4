using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory.Conformance;

/// <summary>Runs every case recorded from Anthropic's reference implementation through the real file-system store.</summary>
public sealed class MemoryToolVectorTests
{
    private static readonly Lazy<JsonArray> Cases = new(() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Memory", "Conformance", "memory-tool-vectors.json")))!
            ["cases"]!.AsArray());

    public static TheoryData<string> CaseNames()
    {
        var names = new TheoryData<string>();
        foreach (var item in Cases.Value)
        {
            names.Add(item!["name"]!.GetValue<string>());
        }

        return names;
    }

    [Fact]
    public void Vectors_AllRecordedCases_ArePresent()
    {
        // The 64 cases recorded from the reference, and 3 more for D15 and D16 (differences a held-out differential run found).
        Cases.Value.Count.ShouldBe(67);
        Cases.Value.Sum(c => c!["steps"]!.AsArray().Count).ShouldBe(137);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public Task Case_RunThroughFileSystemStore_MatchesReference(string name) => RunCaseAsync(name, FolderEngine.Linux);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public Task Case_RunThroughPortableEngine_MatchesReference(string name) => RunCaseAsync(name, FolderEngine.Portable);

    private static async Task RunCaseAsync(string name, FolderEngine engine)
    {
        var testCase = Cases.Value.Single(c => c!["name"]!.GetValue<string>() == name)!;
        using var temp = new TempDirectory();
        var root = temp.Combine("memories");
        var outside = temp.Combine("outside");
        Directory.CreateDirectory(root);
        Directory.CreateDirectory(Path.Combine(outside, "sub"));
        File.WriteAllText(Path.Combine(outside, "secret.txt"), "top secret\n");
        foreach (var entry in testCase["setup"]!.AsArray())
        {
            Plant(root, outside, entry!.AsObject());
        }

        using var store = new FileSystemMemoryStore(root, new FileSystemMemoryStoreOptions { Engine = engine });
        await RunStepsAsync(new MemoryTool(store), testCase, name, TestContext.Current.CancellationToken);

        if (ExpectedFinal(testCase) is { } final)
        {
            Snapshot(root).ShouldBe(final, $"final tree of {name}");
        }

        File.ReadAllText(Path.Combine(outside, "secret.txt")).ShouldBe("top secret\n");
    }

    /// <summary>Plants one setup entry of a case in a folder: a file, a folder, or a link inside or out.</summary>
    /// <summary>Runs a case's steps through a tool and checks each result against the reference's.</summary>
    /// <returns>How many steps ran.</returns>
    public static async Task<int> RunStepsAsync(IMemoryTool tool, JsonNode testCase, string name, CancellationToken cancellationToken)
    {
        var index = 0;
        foreach (var step in testCase["steps"]!.AsArray())
        {
            using var input = JsonDocument.Parse(step!["input"]!.ToJsonString());
            var result = await tool.ExecuteAsync(input.RootElement, cancellationToken);
            var because = $"step {index++} of {name}: {step["input"]!.ToJsonString()}";
            result.Content.ShouldBe(step["output"]!.GetValue<string>(), because);
            result.IsError.ShouldBe(step["is_error"]!.GetValue<bool>(), because);
        }

        return index;
    }

    internal static void Plant(string root, string outside, JsonObject entry)
    {
        if (entry["file"] is { } file)
        {
            var path = Path.Combine(root, file.GetValue<string>());
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (entry["text"] is { } text)
            {
                File.WriteAllBytes(path, Encoding.UTF8.GetBytes(text.GetValue<string>()));
            }
            else if (entry["b64"] is { } b64)
            {
                File.WriteAllBytes(path, Convert.FromBase64String(b64.GetValue<string>()));
            }
            else
            {
                File.WriteAllText(path, new string(entry["fill"]!.GetValue<string>()[0], entry["size"]!.GetValue<int>()));
            }
        }
        else if (entry["dir"] is { } dir)
        {
            Directory.CreateDirectory(Path.Combine(root, dir.GetValue<string>()));
        }
        else
        {
            var link = Path.Combine(root, entry["symlink"]!.GetValue<string>());
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            var target = entry["to_outside"] is { } away
                ? Path.Combine(outside, away.GetValue<string>())
                : Path.GetRelativePath(Path.GetDirectoryName(link)!, Path.Combine(root, entry["to_inside"]!.GetValue<string>()));
            File.CreateSymbolicLink(link, target);
        }
    }

    /// <summary>The tree under the root in the vector file's form: text up to 4 KiB (or base64), size above, links as links.</summary>
    /// <remarks>The store's own <c>.mnemo</c> folder (history, read log) is not part of the memory and is left out.</remarks>
    public static SortedDictionary<string, string> Snapshot(string root)
    {
        var tree = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions
                 {
                     RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false,
                 }))
        {
            var relative = Path.GetRelativePath(root, path);
            if (relative == FileSystemMemoryStore.MetaDirectoryName || relative.StartsWith(FileSystemMemoryStore.MetaDirectoryName + "/", StringComparison.Ordinal))
            {
                continue;
            }

            var info = new FileInfo(path);
            var isDirectory = Directory.Exists(path);
            if (info.LinkTarget is not null)
            {
                tree[relative + (isDirectory ? "/" : string.Empty)] = "symlink";
            }
            else if (isDirectory)
            {
                tree[relative + "/"] = "dir";
            }
            else
            {
                var bytes = File.ReadAllBytes(path);
                tree[relative] = bytes.Length > 4096 ? $"size:{bytes.Length}" : Describe(bytes);
            }
        }

        return tree;
    }

    /// <summary>Finds a recorded case by name.</summary>
    /// <summary>The cases whose every setup entry a backend can plant (a database has no links, a managed store no empty folders).</summary>
    public static TheoryData<string> CaseNamesWhere(Func<JsonObject, bool> plantable)
    {
        var names = new TheoryData<string>();
        foreach (var name in CaseNames().Select(row => row.Data))
        {
            if (Case(name)["setup"]!.AsArray().All(entry => plantable(entry!.AsObject())))
            {
                names.Add(name);
            }
        }

        return names;
    }

    /// <summary>A store's files as <see cref="Snapshot"/> describes a folder's, walked through the store itself.</summary>
    public static async Task<SortedDictionary<string, string>> SnapshotAsync(IMemoryStore store, CancellationToken cancellationToken)
    {
        var tree = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await WalkAsync(MemoryPath.RootPath, string.Empty, (await store.ListAsync(MemoryPath.RootPath, int.MaxValue, cancellationToken))!);
        return tree;

        async Task WalkAsync(MemoryPath folder, string prefix, IReadOnlyList<MemoryEntry> entries)
        {
            foreach (var entry in entries)
            {
                var path = folder.Child(entry.Name);
                if (entry.Kind == MemoryEntryKind.Directory)
                {
                    tree[prefix + entry.Name + "/"] = "dir";
                    await WalkAsync(path, prefix + entry.Name + "/", entry.Children ?? []);
                }
                else
                {
                    var bytes = (await store.ReadAsync(path, cancellationToken))!.Content.ToArray();
                    tree[prefix + entry.Name] = bytes.Length > 4096 ? $"size:{bytes.Length}" : Describe(bytes);
                }
            }
        }
    }

    /// <summary>The bytes a setup entry plants: its text, its base64, or a fill of a size.</summary>
    public static byte[] PlantedBytes(JsonObject entry) =>
        entry["text"] is { } text ? System.Text.Encoding.UTF8.GetBytes(text.GetValue<string>())
        : entry["b64"] is { } b64 ? Convert.FromBase64String(b64.GetValue<string>())
        : System.Text.Encoding.UTF8.GetBytes(new string(entry["fill"]!.GetValue<string>()[0], entry["size"]!.GetValue<int>()));

    public static JsonObject Case(string name) => Cases.Value.Single(c => c!["name"]!.GetValue<string>() == name)!.AsObject();

    /// <summary>The tree a case must leave: the reference's when it is checked, or Mnemo's own (<c>final</c>) where a deviation changes it.</summary>
    public static SortedDictionary<string, string>? ExpectedFinal(JsonNode testCase) =>
        testCase["final"] is JsonObject own ? Expected(own)
        : testCase["final_checked"]!.GetValue<bool>() ? Expected(testCase["final_reference"]!.AsObject())
        : null;

    /// <summary>The final tree a case recorded, in the form <see cref="Snapshot"/> gives.</summary>
    public static SortedDictionary<string, string> Expected(JsonObject reference)
    {
        var tree = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in reference)
        {
            tree[key] = value!["text"] is { } text ? "text:" + text.GetValue<string>()
                : value["b64"] is { } b64 ? Describe(Convert.FromBase64String(b64.GetValue<string>()))
                : value["size"] is { } size ? $"size:{size.GetValue<long>()}"
                : value["symlink"] is not null ? "symlink"
                : "dir";
        }

        return tree;
    }

    /// <summary>A file's bytes as the trees show them: its text, or base64 when it is not UTF-8.</summary>
    public static string Describe(byte[] bytes)
    {
        try
        {
            return "text:" + new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return "b64:" + Convert.ToBase64String(bytes);
        }
    }
}
