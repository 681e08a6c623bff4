using Mnemo.Memory;
using Mnemo.Memory.FileSystem;
using Mnemo.Memory.Safety;

namespace Mnemo.Tests.Memory.Safety;

/// <summary>Personal data as its own kind: cards, IBANs and SSNs (checked) masked by default, e-mail addresses and phone
/// numbers warned; the examples and role addresses notes quote are left alone; the policy is per store.</summary>
public sealed class PersonalDataTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FileSystemMemoryStore _store;

    public PersonalDataTests() => _store = new FileSystemMemoryStore(_temp.Combine("memories"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _store.Dispose();
        _temp.Dispose();
    }

    public static TheoryData<string, string, MemoryFindingConfidence> Found => new()
    {
        { "Customer paid with 4539 1488 0343 6467 last week.", "payment-card", MemoryFindingConfidence.High },
        { "card 5425233430109903 on file", "payment-card", MemoryFindingConfidence.High },
        { "Amex 3712 345678 90138 declined", "payment-card", MemoryFindingConfidence.High },
        { "Refund to IBAN DE44 5001 0517 5407 3249 31 please.", "iban", MemoryFindingConfidence.High },
        { "iban: FR7630004000031234567890143", "iban", MemoryFindingConfidence.High },
        { "Payout account NL44 RABO 0123 4567 89.", "iban", MemoryFindingConfidence.High },
        { "Her SSN is 536-90-4399 per the form.", "us-ssn", MemoryFindingConfidence.High },
        { "Reach Maria at maria.gonzalez@gmail.com for the contract.", "email", MemoryFindingConfidence.Medium },
        { "CEO's cell: +1 415 867 5309", "phone", MemoryFindingConfidence.Medium },
        { "Call (212) 736-5000 after 5pm.", "phone", MemoryFindingConfidence.Medium },
        { "Emergency contact +44 7700 900 123", "phone", MemoryFindingConfidence.Medium },
    };

    [Theory]
    [MemberData(nameof(Found))]
    public void PersonalData_IsFoundAsItsKind(string text, string rule, MemoryFindingConfidence confidence)
    {
        var finding = MemoryScanner.Default.Scan(text).ShouldHaveSingleItem(text);
        (finding.Kind, finding.Rule, finding.Confidence).ShouldBe((MemoryFindingKind.PersonalData, rule, confidence));
    }

    [Fact]
    public void Examples_TestNumbers_AndRoleAddresses_AreNotPersonalData()
    {
        string[] benign =
        [
            "Stripe test card: 4242 4242 4242 4242, any future date.",
            "Use 4111 1111 1111 1111 in the sandbox.",
            "Example IBAN from the spec: GB82 WEST 1234 5698 7654 32",
            "The docs use DE89 3704 0044 0532 0130 00 as the sample.",
            "Write to support@acme.io for help; security@acme.io for reports.",
            "git clone git@github.com:acme/billing.git",
            "Set user.email to jane@example.com in the fixture.",
            "Commits from 12345+octocat@users.noreply.github.com are the bot's.",
            "Call 555-0123 in the demo script; the US number +1 202 555 0147 is fictional.",
            "The UK drama number 020 7946 0018, or +44 20 7946 0018.",
            "SSN placeholder 123-45-6789 in the form validator test.",
            "Order 4000-1234-5678 shipped; tracking 1Z999AA10123456784.",
            "Version 2026-12-05, build 4.12.0, port 5432, pid 31337.",
            "Epoch ms 1733400000000 and snowflake 1181945937212002345.",
            "Price 1,234.56 EUR; ratio 3.14159265358979.",
            "@acme/payments-sdk@4.12.0 pins the SDK.",
        ];

        foreach (var text in benign)
        {
            MemoryScanner.Default.Scan(text).Where(f => f.Kind == MemoryFindingKind.PersonalData).ShouldBeEmpty(text);
        }
    }

    [Fact]
    public async Task ByDefault_ACardIsMasked_AndAnEmailIsWrittenWithAWarning()
    {
        var tool = new MemoryTool(_store).AsBuilder().UseScreening().Build();

        var card = await tool.ExecuteAsync(new CreateMemoryCommand("/memories/c.md", "Customer card 4539 1488 0343 6467.\n"), Ct);
        var email = await tool.ExecuteAsync(new CreateMemoryCommand("/memories/e.md", "Reach Maria at maria.gonzalez@gmail.com.\n"), Ct);

        card.Content.ShouldBe("File created successfully at: /memories/c.md\n\nNote: personal data (payment-card) was masked before writing; memory should not hold it.");
        File.ReadAllText(_temp.Combine("memories", "c.md")).ShouldBe("Customer card [redacted payment-card].\n");
        email.Content.ShouldBe("File created successfully at: /memories/e.md");
        File.ReadAllText(_temp.Combine("memories", "e.md")).ShouldContain("maria.gonzalez@gmail.com");
    }

    [Fact]
    public async Task APolicy_RejectsPersonalData_WithoutRepeatingIt()
    {
        var safety = new MemorySafety { Policy = MemorySafetyPolicy.Parse("""{"personal-data":"reject","unsure":{"personal-data":"reject"}}""") };
        var tool = new MemoryTool(_store).AsBuilder().UseScreening(safety).Build();

        var refused = await tool.ExecuteAsync(new CreateMemoryCommand("/memories/e.md", "Reach Maria at maria.gonzalez@gmail.com.\n"), Ct);

        refused.ShouldBe(MemoryToolResult.Error(
            "The memory was not written: file_text contains personal data (email) (at character 15). Memory holds facts, preferences and progress, not instructions or secrets: write it again without that text."));
        File.Exists(_temp.Combine("memories", "e.md")).ShouldBeFalse();
    }
}
