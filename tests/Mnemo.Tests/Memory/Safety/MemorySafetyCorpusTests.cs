using System.Text.Json;
using Mnemo.Memory.Safety;

namespace Mnemo.Tests.Memory.Safety;

/// <summary>The scanner on the labelled corpus: every listed secret format caught, under 1% false positives on benign notes.</summary>
public sealed class MemorySafetyCorpusTests
{
    public sealed record Sample(string Label, string Text, string? Format);

    public static IReadOnlyList<Sample> Corpus { get; } = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Memory", "Safety", "memory-safety-corpus.jsonl"))
        .Where(line => line.Length > 0)
        .Select(line => JsonDocument.Parse(line).RootElement)
        .Select(row => new Sample(row.GetProperty("label").GetString()!, row.GetProperty("text").GetString()!, row.TryGetProperty("format", out var format) ? format.GetString() : null))
        .ToList();

    private static string LabelOf(MemoryFindingKind kind) => new MemoryFinding(kind, "x", 0, 0, MemoryFindingConfidence.Low).KindName;

    [Fact]
    public void Corpus_HasEveryKind_AndEverySecretFormatTheIssueLists()
    {
        Corpus.Count(sample => sample.Label == "benign").ShouldBeGreaterThanOrEqualTo(140);
        Corpus.Select(sample => sample.Format).OfType<string>().Distinct().ShouldBe(
            ["anthropic-api-key", "openai-api-key", "github-token", "aws-access-key-id", "aws-secret-access-key", "google-api-key", "private-key",
             "jwt", "connection-string-password", "url-password", "google-oauth-client-secret", "slack-token", "stripe-key",
             "slack-webhook", "discord-webhook", "telegram-bot-token", "gitlab-token", "npm-token", "pypi-token", "nuget-api-key", "dockerhub-token",
             "sendgrid-api-key", "mailgun-api-key", "mailchimp-api-key", "stripe-webhook-secret", "shopify-token", "square-token", "braintree-token",
             "huggingface-token", "ai-api-key", "azure-storage-key", "azure-sas-signature", "azure-client-secret", "digitalocean-token",
             "databricks-token", "atlassian-token", "linear-api-key", "notion-token", "vault-token", "newrelic-api-key", "env-secret",
             "password-in-prose"], ignoreOrder: true);
    }

    [Fact]
    public void EverySecret_IsCaughtByItsOwnRule_AndMaskedByDefault()
    {
        var policy = new MemorySafetyPolicy();
        foreach (var sample in Corpus.Where(sample => sample.Label == "secret"))
        {
            var findings = MemoryScanner.Default.Scan(sample.Text);
            findings.ShouldContain(finding => finding.Kind == MemoryFindingKind.Secret && finding.Rule == sample.Format, sample.Text);
            findings.Where(finding => finding.Kind == MemoryFindingKind.Secret).Max(policy.For).ShouldBe(MemorySafetyAction.Redact, sample.Text);
        }
    }

    [Fact]
    public void EveryAttack_IsFoundAsItsKind()
    {
        foreach (var sample in Corpus.Where(sample => sample.Label is not ("benign" or "secret")))
        {
            MemoryScanner.Default.Scan(sample.Text).Select(finding => LabelOf(finding.Kind)).ShouldContain(sample.Label, sample.Text);
        }
    }

    [Fact]
    public void BenignNotes_HaveUnderOnePercentFalsePositives_AndNoneTheDefaultPolicyActsOn()
    {
        var benign = Corpus.Where(sample => sample.Label == "benign").ToList();
        var flagged = benign.Where(sample => MemoryScanner.Default.Scan(sample.Text).Count > 0).Select(sample => sample.Text).ToList();
        (flagged.Count / (double)benign.Count).ShouldBeLessThan(0.01, string.Join("\n", flagged));
        var screen = MemorySafety.Default;
        benign.Where(sample => screen.Screen(new Mnemo.Memory.CreateMemoryCommand("/memories/n.md", sample.Text)).Action >= MemorySafetyAction.Redact)
            .ShouldBeEmpty();
    }
}
