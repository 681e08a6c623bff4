using System.Text.Json;
using Mnemo.Tokens;

namespace Mnemo.Tests.Tokens;

/// <summary>
/// The estimator against real tokenizers' counts of the corpus in bench/tokens (counted by bench/tokens/reference.mjs):
/// the error docs/context-editing.md states must hold.
/// </summary>
public sealed class TokenEstimatorAccuracyTests
{
    private static readonly string Folder = Path.Combine(RepositoryRoot(), "bench", "tokens");

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Mnemo.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("the tests do not run inside the repository");
    }

    /// <summary>Each file of a category: the estimate and Claude's legacy tokenizer's count.</summary>
    private static (string File, long Estimate, long Claude)[] Category(string category)
    {
        using var reference = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder, "reference.json")));
        return
        [
            .. reference.RootElement.GetProperty("files").EnumerateObject()
                .Where(file => file.Name.StartsWith(category + "/", StringComparison.Ordinal))
                .Select(file => (file.Name, TokenEstimator.Estimate(File.ReadAllBytes(Path.Combine(Folder, "corpus", file.Name))),
                    file.Value.GetProperty("claude_legacy").GetInt64())),
        ];
    }

    [Theory]
    [InlineData("prose")]
    [InlineData("markdown")]
    [InlineData("code")]
    [InlineData("json")]
    public void Estimate_LatinText_RunsAFewTenthsOverClaudesTokenizerAndNeverUnder(string category)
    {
        var files = Category(category);
        files.ShouldNotBeEmpty();
        var ratio = (double)files.Sum(f => f.Estimate) / files.Sum(f => f.Claude);
        ratio.ShouldBeInRange(1.05, 1.25, $"{category}: estimate {files.Sum(f => f.Estimate)}, Claude {files.Sum(f => f.Claude)}");
        foreach (var (file, estimate, claude) in files)
        {
            ((double)estimate / claude).ShouldBeInRange(1.0, 1.35, file);
        }
    }

    [Theory]
    [InlineData("non-latin/zh.txt", 0.9, 1.2)]
    [InlineData("non-latin/ja.txt", 0.9, 1.1)]
    [InlineData("non-latin/ko.txt", 0.9, 1.1)]
    [InlineData("non-latin/hi.txt", 0.85, 1.05)]
    [InlineData("non-latin/ru.txt", 0.9, 1.1)]
    [InlineData("non-latin/el.txt", 0.4, 0.5)]
    [InlineData("non-latin/ar.txt", 0.45, 0.55)]
    [InlineData("opaque/ids.json", 1.0, 1.2)]
    [InlineData("opaque/base64.txt", 0.6, 0.8)]
    public void Estimate_OtherScriptsAndOpaqueText_IsWithinItsDocumentedError(string file, double low, double high)
    {
        var (_, estimate, claude) = Category(file.Split('/')[0]).Single(f => f.File == file);
        ((double)estimate / claude).ShouldBeInRange(low, high);
    }
}
