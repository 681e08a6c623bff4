using Mnemo.Memory;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory;

public sealed class MemoryToolTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FileSystemMemoryStore _store;
    private readonly MemoryTool _tool;

    public MemoryToolTests()
    {
        _store = new FileSystemMemoryStore(_temp.Combine("memories"));
        _tool = new MemoryTool(_store, new MemoryToolOptions { MaxFileBytes = 1000 });
        File.WriteAllText(_temp.Combine("memories", "a.md"), "alpha\nbeta\n");
    }

    public void Dispose()
    {
        _store.Dispose();
        _temp.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<MemoryToolResult> Run(string json) => _tool.ExecuteAsync(json, Ct).AsTask();

    [Theory]
    [InlineData("[]", "The memory tool's input must be a JSON object, got a list.")]
    [InlineData("\"view\"", "The memory tool's input must be a JSON object, got a string.")]
    [InlineData("{}", "Missing required parameter `command`. Valid commands are: view, create, str_replace, insert, delete, rename")]
    [InlineData("""{"command":null}""", "Missing required parameter `command`. Valid commands are: view, create, str_replace, insert, delete, rename")]
    [InlineData("""{"command":7}""", "Invalid parameter `command` for command `memory`: expected a string, got a number.")]
    [InlineData("""{"command":"VIEW","path":"/memories"}""",
        "Unknown command: VIEW. Valid commands are: view, create, str_replace, insert, delete, rename")]
    [InlineData("""{"command":"view","path":5}""", "Invalid parameter `path` for command `view`: expected a string, got a number.")]
    [InlineData("""{"command":"view","path":null}""", "Missing required parameter `path` for command `view`.")]
    [InlineData("""{"command":"create","path":"/memories/x","file_text":{"a":1}}""",
        "Invalid parameter `file_text` for command `create`: expected a string, got an object.")]
    [InlineData("""{"command":"str_replace","path":"/memories/a.md","old_str":true}""",
        "Invalid parameter `old_str` for command `str_replace`: expected a string, got a boolean.")]
    [InlineData("""{"command":"str_replace","path":"/memories/a.md","old_str":"beta","new_str":3}""",
        "Invalid parameter `new_str` for command `str_replace`: expected a string, got a number.")]
    [InlineData("""{"command":"insert","path":"/memories/a.md","insert_line":1.5,"insert_text":"x"}""",
        "Invalid parameter `insert_line` for command `insert`: expected an integer, got a number.")]
    [InlineData("""{"command":"insert","path":"/memories/a.md","insert_line":1e30,"insert_text":"x"}""",
        "Invalid parameter `insert_line` for command `insert`: expected an integer, got a number.")]
    [InlineData("""{"command":"insert","path":"/memories/a.md","insert_line":"1","insert_text":"x"}""",
        "Invalid parameter `insert_line` for command `insert`: expected an integer, got a string.")]
    [InlineData("""{"command":"insert","path":"/memories/a.md","insert_text":"x","insert_line":[1]}""",
        "Invalid parameter `insert_line` for command `insert`: expected an integer, got a list.")]
    [InlineData("""{"command":"view","path":"/memories/a.md","view_range":"1-2"}""",
        "Invalid parameter `view_range` for command `view`: expected a list of two integers [start, end], got a string.")]
    [InlineData("""{"command":"view","path":"/memories/a.md","view_range":[1,"2"]}""",
        "Invalid parameter `view_range` for command `view`: expected a list of two integers [start, end], got a list.")]
    [InlineData("""{"command":"view","path":"/memories/a.md","view_range":[1.5,2]}""",
        "Invalid parameter `view_range` for command `view`: expected a list of two integers [start, end], got a list.")]
    [InlineData("""{"command":"rename","old_path":"/memories/a.md","new_path":false}""",
        "Invalid parameter `new_path` for command `rename`: expected a string, got a boolean.")]
    [InlineData("""{"command":"rename","new_path":1}""", "Missing required parameter `old_path` for command `rename`.")]
    [InlineData("""{"command":"view","path":"/memories","extra":"ignored"}""",
        "Here're the files and directories up to 2 levels deep in /memories, excluding hidden items:\n4K\t/memories\n11B\t/memories/a.md")]
    public async Task Execute_MalformedOrOddInput_GivesOneLineMessage(string json, string expected)
    {
        var result = await Run(json);
        result.Content.ShouldBe(expected);
        result.IsError.ShouldBe(!expected.StartsWith("Here", StringComparison.Ordinal));
        File.ReadAllText(_temp.Combine("memories", "a.md")).ShouldBe("alpha\nbeta\n");
    }

    [Theory]
    [InlineData("{\"command\":")]
    [InlineData("{\"command\":\"view\",}")]
    [InlineData("not json")]
    [InlineData("")]
    public async Task Execute_InvalidJsonText_IsOneLineError(string json)
    {
        var result = await Run(json);
        result.IsError.ShouldBeTrue();
        result.Content.ShouldStartWith("The memory tool's input is not valid JSON: ");
        result.Content.ShouldNotContain("\n");
    }

    [Fact]
    public async Task Create_OverTheSizeLimit_IsRefusedAndWritesNothing()
    {
        var result = await _tool.ExecuteAsync(new CreateMemoryCommand("/memories/big.md", new string('x', 1001)), Ct);
        result.ShouldBe(MemoryToolResult.Error(
            "File /memories/big.md would be 1,001 bytes, more than the limit of 1,000 bytes for a memory file; nothing was written"));
        File.Exists(_temp.Combine("memories", "big.md")).ShouldBeFalse();
    }

    [Fact]
    public async Task Edit_GrowingPastTheSizeLimit_IsRefusedAndKeepsTheFile()
    {
        var result = await _tool.ExecuteAsync(new StrReplaceMemoryCommand("/memories/a.md", "beta", new string('b', 2000)), Ct);
        result.IsError.ShouldBeTrue();
        result.Content.ShouldContain("more than the limit of 1,000 bytes");
        (await _tool.ExecuteAsync(new InsertMemoryCommand("/memories/a.md", 0, new string('i', 2000)), Ct)).IsError.ShouldBeTrue();
        File.ReadAllText(_temp.Combine("memories", "a.md")).ShouldBe("alpha\nbeta\n");
    }

    [Fact]
    public async Task Insert_HugeLineNumber_ReportsRange() =>
        (await Run("""{"command":"insert","path":"/memories/a.md","insert_line":9223372036854775807,"insert_text":"x"}""")).Content
            .ShouldBe("Invalid `insert_line` parameter: 9223372036854775807. It should be within the range [0, 2].");

    [Fact]
    public async Task View_ExtremeRange_ClampsLikePython()
    {
        (await Run("""{"command":"view","path":"/memories/a.md","view_range":[-9223372036854775808,9223372036854775807]}""")).Content
            .ShouldBe("Here's the content of /memories/a.md with line numbers:\n     1\talpha\n     2\tbeta\n     3\t");
        (await Run("""{"command":"view","path":"/memories/a.md","view_range":[2,-9223372036854775808]}""")).Content
            .ShouldBe("Here's the content of /memories/a.md with line numbers:\n");
    }

    [Fact]
    public async Task View_SingleLineLongerThanTheLimit_IsCutWithANote()
    {
        File.WriteAllText(_temp.Combine("memories", "long.md"), "short\n" + new string('y', 20_000) + "\n");
        var whole = await _tool.ExecuteAsync(new ViewMemoryCommand("/memories/long.md"), Ct);
        whole.Content.ShouldEndWith("\n     1\tshort\n[Output truncated at 16,000 characters: showing lines 1-1 of 3. Use view_range to view the rest.]");
        var cut = await _tool.ExecuteAsync(new ViewMemoryCommand("/memories/long.md", [2, 2]), Ct);
        cut.Content.ShouldEndWith("\n[Output truncated at 16,000 characters: line 2 of 3 is longer than that and is cut short.]");
        cut.Content.Split('\n')[1].Length.ShouldBe(16_000);
    }

    [Fact]
    public async Task View_OfTwoByteCharacters_CountsCharactersNotBytesTowardTheLimit()
    {
        // Each line is 10 characters in 20 bytes and takes 7 + 10 characters, plus a newline between lines:
        // 888 lines take 15,983 characters, and one more would pass 16,000.
        File.WriteAllText(_temp.Combine("memories", "accents.md"), string.Concat(Enumerable.Repeat(new string('é', 10) + "\n", 2000)));
        var result = await _tool.ExecuteAsync(new ViewMemoryCommand("/memories/accents.md"), Ct);
        result.Content.ShouldEndWith(
            "\n   888\t" + new string('é', 10) + "\n[Output truncated at 16,000 characters: showing lines 1-888 of 2001. Use view_range to view the rest.]");
    }

    [Fact]
    public async Task View_LongLineOfSurrogatePairs_IsNotCutInsideAPair()
    {
        File.WriteAllText(_temp.Combine("memories", "emoji.md"), string.Concat(Enumerable.Repeat("😀", 9000)));
        var result = await _tool.ExecuteAsync(new ViewMemoryCommand("/memories/emoji.md"), Ct);
        var line = result.Content.Split('\n')[1];
        char.IsHighSurrogate(line[^1]).ShouldBeFalse();
    }

    [Fact]
    public async Task StrReplace_OldStrSpanningCrLf_MatchesNormalisedText()
    {
        File.WriteAllText(_temp.Combine("memories", "w.md"), "one\r\ntwo\r\n");
        (await _tool.ExecuteAsync(new StrReplaceMemoryCommand("/memories/w.md", "one\ntwo", "1\n2"), Ct)).IsError.ShouldBeFalse();
        File.ReadAllText(_temp.Combine("memories", "w.md")).ShouldBe("1\n2\n");
    }

    [Fact]
    public async Task StrReplace_InMultiByteText_EditsTheRightBytesAndShowsTheLinesAround()
    {
        File.WriteAllText(_temp.Combine("memories", "u.md"), "α\nβγ\n日本語\nδ\n😀x\nlast");
        var result = await _tool.ExecuteAsync(new StrReplaceMemoryCommand("/memories/u.md", "日本", "にほん"), Ct);
        result.ShouldBe(MemoryToolResult.Ok(
            "The memory file has been edited. Here is the snippet showing the change (with line numbers):\n" +
            "     1\tα\n     2\tβγ\n     3\tにほん語\n     4\tδ\n     5\t😀x"));
        File.ReadAllText(_temp.Combine("memories", "u.md")).ShouldBe("α\nβγ\nにほん語\nδ\n😀x\nlast");
    }

    [Fact]
    public async Task StrReplace_RepeatedMultiByteText_ListsEveryLineOverlapsIncluded()
    {
        File.WriteAllText(_temp.Combine("memories", "r.md"), "жжж\nx\nжж\n");
        var result = await _tool.ExecuteAsync(new StrReplaceMemoryCommand("/memories/r.md", "жж", "y"), Ct);
        result.ShouldBe(MemoryToolResult.Error(
            "No replacement was performed. Multiple occurrences of old_str `жж` in lines: 1, 1, 3. Please ensure it is unique"));
        File.ReadAllText(_temp.Combine("memories", "r.md")).ShouldBe("жжж\nx\nжж\n");
    }

    [Fact]
    public async Task StrReplace_OldStrWithUnpairedSurrogate_IsNotFoundEvenBesideAPair()
    {
        // Half of a pair never matches the character the pair makes, and never the replacement character either.
        File.WriteAllText(_temp.Combine("memories", "s.md"), "😀 \uFFFD\n");
        var result = await _tool.ExecuteAsync(new StrReplaceMemoryCommand("/memories/s.md", "\uD83D", "x"), Ct);
        result.IsError.ShouldBeTrue();
        result.Content.ShouldStartWith("No replacement was performed, old_str `");
        File.ReadAllText(_temp.Combine("memories", "s.md")).ShouldBe("😀 \uFFFD\n");
    }

    [Theory]
    [InlineData("a\nb", 0, "x\na\nb\n")]
    [InlineData("a\nb", 1, "a\nx\nb\n")]
    [InlineData("a\nb", 2, "a\nb\nx\n")]
    [InlineData("a\nb\n", 2, "a\nb\nx\n")]
    [InlineData("", 0, "x\n")]
    [InlineData("ü\r\nö", 1, "ü\nx\nö\n")]
    public async Task Insert_AtEachPosition_WritesTheReferencesBytes(string before, int line, string after)
    {
        File.WriteAllText(_temp.Combine("memories", "i.md"), before);
        var result = await _tool.ExecuteAsync(new InsertMemoryCommand("/memories/i.md", line, "x\n\n"), Ct);
        result.ShouldBe(MemoryToolResult.Ok("The file /memories/i.md has been edited."));
        File.ReadAllText(_temp.Combine("memories", "i.md")).ShouldBe(after);
    }

    [Theory]
    [InlineData(0L, "0B")]
    [InlineData(1023L, "1023B")]
    [InlineData(1024L, "1K")]
    [InlineData(1280L, "1.2K")]
    [InlineData(1587L, "1.5K")]
    [InlineData(2047L, "2.0K")]
    [InlineData(1073741824L, "1G")]
    [InlineData(5497558138880L, "5120G")]
    public void FormatSize_MatchesReference(long size, string expected) => MemoryView.FormatSize(size).ShouldBe(expected);

    [Fact]
    public async Task UnexpectedFailure_IsGenericAndReported()
    {
        Exception? reported = null;
        var broken = new MemoryTool(new ThrowingStore(), new MemoryToolOptions { UnexpectedError = (_, e) => reported = e });
        var result = await broken.ExecuteAsync(new ViewMemoryCommand("/memories/x"), Ct);
        result.ShouldBe(MemoryToolResult.Error("The memory store could not complete the view command because of an internal error."));
        reported.ShouldBeOfType<IOException>().Message.ShouldContain("/secret/host/path");
    }

    [Fact]
    public async Task Cancellation_IsRethrown()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(async () =>
            await _tool.ExecuteAsync(new ViewMemoryCommand("/memories/a.md"), cancelled.Token));
    }

    /// <summary>A store whose storage fails with an exception that names a host path.</summary>
    private sealed class ThrowingStore : IMemoryStore
    {
        private static ValueTask<T> Fail<T>() => ValueTask.FromException<T>(new IOException("disk error at /secret/host/path"));

        public ValueTask<MemoryItem?> ReadAsync(MemoryPath path, CancellationToken cancellationToken = default) => Fail<MemoryItem?>();

        public ValueTask<IReadOnlyList<MemoryEntry>?> ListAsync(MemoryPath directory, int depth, CancellationToken cancellationToken = default) =>
            Fail<IReadOnlyList<MemoryEntry>?>();

        public ValueTask<bool> CreateFileAsync(
            MemoryPath path, ReadOnlyMemory<byte> content, MemoryWriteContext? context = null, CancellationToken cancellationToken = default) =>
            Fail<bool>();

        public ValueTask<bool> ReplaceFileAsync(
            MemoryPath path,
            ReadOnlyMemory<byte> content,
            MemoryItem expected,
            MemoryWriteContext? context = null,
            CancellationToken cancellationToken = default) => Fail<bool>();

        public ValueTask<MemoryDeleteOutcome> DeleteAsync(
            MemoryPath path, MemoryWriteContext? context = null, CancellationToken cancellationToken = default) => Fail<MemoryDeleteOutcome>();

        public ValueTask<MemoryRenameOutcome> RenameAsync(
            MemoryPath source, MemoryPath destination, MemoryWriteContext? context = null, CancellationToken cancellationToken = default) =>
            Fail<MemoryRenameOutcome>();
    }
}
