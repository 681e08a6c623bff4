using Mnemo.Cli.CodeReview;
using Mnemo.Tests;

namespace Mnemo.Cli.Tests.CodeReview;

/// <summary>Reading unified diffs as git and diff -u write them, and turning one side of a file into the other.</summary>
public sealed class UnifiedDiffTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Sample(params string[] parts) => File.ReadAllText(MnemoProcess.InRepository(["samples", "code-review", .. parts]));

    [Fact]
    public async Task GitDiff_OfTheSamplePullRequest_TurnsTheBaseIntoTheHead_AndBack()
    {
        using var temp = new TempDirectory();
        await SamplePullRequests.MakeRepositoryAsync(temp.Path, Ct);
        var diff = UnifiedDiff.Parse((await SamplePullRequests.GitAsync(temp.Path, Ct, "diff", SamplePullRequests.ScrapeStats)).Output);
        var before = Sample("pull-requests", "base", "scraper.py");
        var after = Sample("scraper.py");

        var file = diff.Files.ShouldHaveSingleItem();
        (file.OldPath, file.NewPath, file.IsBinary, file.Added, file.Removed).ShouldBe(("scraper.py", "scraper.py", false, 10, 8));
        file.Transform(before, forward: true).ShouldBe(after);
        file.Transform(after, forward: false).ShouldBe(before);
        file.Transform(after, forward: true).ShouldBeNull("the head is not what the diff's old side shows");
        file.ShownLines().ShouldBe("lines 1-6, 12-28 and 48-52");
        file.Shows(18).ShouldBeTrue();
        file.Shows(40).ShouldBeFalse();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Transform_OfRandomEditsAsGitWritesThem_TurnsEachSideIntoTheOther(int context)
    {
        using var temp = new TempDirectory();
        var random = new Random(30 + context);
        for (var run = 0; run < 12; run++)
        {
            var old = Enumerable.Range(0, random.Next(0, 40)).Select(_ => $"line {random.Next(8)}").ToList();
            var edited = new List<string>(old);
            for (var edit = random.Next(1, 6); edit > 0; edit--)
            {
                var at = random.Next(edited.Count + 1);
                switch (random.Next(3))
                {
                    case 0:
                        edited.Insert(at, $"added {random.Next(100)}");
                        break;
                    case 1 when at < edited.Count:
                        edited.RemoveAt(at);
                        break;
                    default:
                        if (at < edited.Count)
                        {
                            edited[at] = $"changed {random.Next(100)}";
                        }

                        break;
                }
            }

            var before = old.Count == 0 ? string.Empty : string.Join('\n', old) + "\n";
            var after = edited.Count == 0 ? string.Empty : string.Join('\n', edited) + "\n";
            File.WriteAllText(temp.Combine("a.txt"), before);
            File.WriteAllText(temp.Combine("b.txt"), after);
            var (_, text, _) = await ChildProcess.RunAsync("git", temp.Path, null, Ct, "diff", "--no-index", $"-U{context}", "a.txt", "b.txt");
            var file = UnifiedDiff.Parse(text).Files.SingleOrDefault();
            if (before == after)
            {
                file.ShouldBeNull();
                continue;
            }

            var seed = $"context {context}, run {run}:\n{text}";
            file.ShouldNotBeNull(seed);
            file.Transform(before, forward: true).ShouldBe(after, seed);
            file.Transform(after, forward: false).ShouldBe(before, seed);

            // Every line the edits wrote (none of them was in the old file) is one a finding can be put on.
            Enumerable.Range(1, edited.Count).Where(line => !edited[line - 1].StartsWith("line ", StringComparison.Ordinal)).ShouldAllBe(line => file.Shows(line), seed);
        }
    }

    [Fact]
    public void GitHeaders_NewDeletedRenamedAndBinaryFiles_AreRead()
    {
        var diff = UnifiedDiff.Parse(
            """
            diff --git a/docs/old name.md b/docs/new name.md
            similarity index 90%
            rename from docs/old name.md
            rename to docs/new name.md
            index 1111111..2222222 100644
            --- a/docs/old name.md
            +++ b/docs/new name.md
            @@ -1,2 +1,2 @@
             # Title
            -old line
            +new line
            diff --git a/gone.py b/gone.py
            deleted file mode 100644
            index 3333333..0000000
            --- a/gone.py
            +++ /dev/null
            @@ -1 +0,0 @@
            -print("bye")
            diff --git a/new.py b/new.py
            new file mode 100644
            index 0000000..4444444
            --- /dev/null
            +++ b/new.py
            @@ -0,0 +1,2 @@
            +print("hi")
            +print("there")
            \ No newline at end of file
            diff --git a/logo.png b/logo.png
            new file mode 100644
            index 0000000..5555555
            Binary files /dev/null and b/logo.png differ
            diff --git "a/tab\there.txt" "b/tab\there.txt"
            index 6666666..7777777 100644
            --- "a/tab\there.txt"
            +++ "b/tab\there.txt"
            @@ -1 +1 @@
            -a
            +b

            """.ReplaceLineEndings("\n"));

        diff.Files.Select(file => (file.OldPath, file.NewPath, file.IsBinary)).ShouldBe([
            ("docs/old name.md", "docs/new name.md", false),
            ("gone.py", null, false),
            (null, "new.py", false),
            (null, "logo.png", true),
            ("tab\there.txt", "tab\there.txt", false),
        ]);
        diff.Find("docs/old name.md")!.NewPath.ShouldBe("docs/new name.md");
        diff.Files[1].Shows(1).ShouldBeFalse("a deleted file has no new side to comment on");
        diff.Files[2].Transform(string.Empty, forward: true).ShouldBe("print(\"hi\")\nprint(\"there\")\n");
        diff.Files[1].Transform(string.Empty, forward: false).ShouldBe("print(\"bye\")\n");
        diff.TextFiles.Count().ShouldBe(4);
    }

    [Fact]
    public void PlainDiffU_WithTimes_AndTwoFiles_IsRead()
    {
        var diff = UnifiedDiff.Parse(
            """
            --- app/a.py	2026-01-01 09:00:00.000000000 +0000
            +++ app/a.py	2026-01-02 09:00:00.000000000 +0000
            @@ -1,3 +1,3 @@
             one
            -two
            +TWO
             three
            --- app/b.py	2026-01-01 09:00:00.000000000 +0000
            +++ app/b.py	2026-01-02 09:00:00.000000000 +0000
            @@ -5 +5,2 @@
             five
            +six

            """.ReplaceLineEndings("\n"));

        diff.Files.Select(file => file.Name).ShouldBe(["app/a.py", "app/b.py"]);
        diff.Files[1].ShownLines().ShouldBe("lines 5-6");
        diff.Files[0].Transform("one\ntwo\nthree\nfour\n", forward: true).ShouldBe("one\nTWO\nthree\nfour\n");
    }

    [Theory]
    [InlineData("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n one\n-two\n", "the diff ends inside a hunk of x: it is cut short or was edited by hand")]
    [InlineData("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n one\n+two\n+three\n", "line 7 of the diff: a hunk of x ends before the line counts in its @@ header say")]
    [InlineData("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ one two @@\n", "line 4 of the diff: not a hunk header (@@ -a,b +c,d @@)")]
    [InlineData("Fixed the scraper, please look.\n", "it is not a unified diff (no file header such as diff --git or ---/+++ in it)")]
    public void MalformedDiff_SaysWhereInOneLine(string text, string message)
    {
        Should.Throw<FormatException>(() => UnifiedDiff.Parse(text)).Message.ShouldBe(message);
    }

    [Fact]
    public void BlankText_IsADiffWithNoFiles()
    {
        UnifiedDiff.Parse("\n  \n").Files.ShouldBeEmpty();
    }
}
