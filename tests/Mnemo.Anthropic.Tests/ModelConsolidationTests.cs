using System.Text;
using Microsoft.Extensions.AI;
using Mnemo.Anthropic.Tests.Agents;
using Mnemo.Memory;

namespace Mnemo.Anthropic.Tests;

/// <summary>The model-driven consolidation engine through the official SDK's <see cref="IChatClient"/> against the
/// emulator: the model's changes join the proposal after the rules' once checked, and those that fail the checks are
/// left out with the reason; a model out of reach costs the proposal its changes only.</summary>
public sealed class ModelConsolidationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Script = """
        conversations:
          - match: "You consolidate an AI agent's memory directory"
            turns:
              - |
                Here is what I propose:
                {"changes": [
                  {"kind": "near_duplicate", "title": "merge /memories/deploy-notes.md into /memories/deploy.md",
                   "evidence": "deploy.md lines 2-3 and deploy-notes.md lines 1-2 say the same in other words",
                   "edits": [{"path": "/memories/deploy.md", "new_text": "# Deploy\nDeploys go out on Tuesdays, with make deploy.\n"},
                             {"path": "/memories/deploy-notes.md", "new_text": null}]},
                  {"kind": "superseded", "title": "fix the hosts file", "evidence": "none really",
                   "edits": [{"path": "/memories/../etc/hosts", "new_text": "x"}]},
                  {"kind": "rename", "title": "tidy", "evidence": "it looks better", "edits": []},
                  {"kind": "stale", "title": "expire ghost.md", "evidence": "nobody reads it",
                   "edits": [{"path": "/memories/ghost.md", "new_text": null}]},
                  {"kind": "superseded", "title": "rewrite the merged file again", "evidence": "deploy.md line 2",
                   "edits": [{"path": "/memories/deploy.md", "new_text": "other\n"}]},
                  {"kind": "contradiction", "title": "check the release day", "evidence": "deploy.md line 2 says Tuesday; team.md line 1 says Thursday",
                   "edits": [{"path": "/memories/team.md", "new_text": "z"}]}
                ]}
        """;

    private static async Task<(AgentHarness Harness, MemoryAdmin Admin)> StartAsync(string script)
    {
        var harness = await AgentHarness.StartAsync(script);
        var admin = new MemoryAdmin(harness.Store);
        await admin.WriteAsync(P("/memories/deploy.md"), Encoding.UTF8.GetBytes("# Deploy\nWe deploy on Tuesdays.\nRun make deploy.\n"), cancellationToken: Ct);
        await admin.WriteAsync(P("/memories/deploy-notes.md"), Encoding.UTF8.GetBytes("Tuesday is deploy day.\nThe command is make deploy.\n"), cancellationToken: Ct);
        await admin.WriteAsync(P("/memories/team.md"), Encoding.UTF8.GetBytes("Releases: Thursdays.\n"), cancellationToken: Ct);
        return (harness, admin);
    }

    private static MemoryPath P(string path) => MemoryPath.TryParse(path, out var parsed, out _) ? parsed : throw new ArgumentException(path);

    [Fact]
    public async Task TheModelsChanges_JoinTheProposalChecked_AndApplyThroughTheHistory()
    {
        var (harness, admin) = await StartAsync(Script);
        await using var _ = harness;
        var engine = new ChatClientConsolidationEngine(harness.Client.AsIChatClient(AgentHarness.Model, 4096));
        var consolidator = new MemoryConsolidator(admin, new ConsolidationOptions { Model = engine });

        var proposal = await consolidator.ProposeAsync(Ct);

        proposal.Changes.Select(c => (c.Number, c.Kind, c.ProposedBy, c.Title)).ShouldBe(
        [
            (1, ConsolidationKind.NearDuplicate, "model", "merge /memories/deploy-notes.md into /memories/deploy.md"),
            (2, ConsolidationKind.Contradiction, "model", "check the release day"),
        ], "the rules find nothing here: the notes say the same in other words");
        proposal.Changes[1].Edits.ShouldBeEmpty("a contradiction is flagged for the user, whatever the model wrote with it");
        proposal.Notes.ShouldBe(
        [
            "the model's change 2 is left out: the path '/memories/../etc/hosts' is refused: it leads out of /memories",
            "the model's change 3 is left out: kind \"rename\" is not one of near_duplicate, superseded, contradiction, oversized, stale",
            "the model's change 4 is left out: it deletes /memories/ghost.md, which is not a file of the store",
            "the model's change 5 is left out: /memories/deploy.md is edited by another change of the proposal",
        ]);

        // What the model was sent: every file with numbered lines.
        var prompt = harness.Emulator.Exchanges.Single().Request!.Value.GetRawText();
        prompt.ShouldContain("=== /memories/deploy-notes.md\\n    1\\tTuesday is deploy day.");

        var applied = await consolidator.ApplyAsync(proposal, [1], Ct);

        applied.Single().NotApplied.ShouldBeNull();
        var merged = await harness.Store.ReadAsync(P("/memories/deploy.md"), Ct);
        Encoding.UTF8.GetString(merged!.Content.Span).ShouldBe("# Deploy\nDeploys go out on Tuesdays, with make deploy.\n");
        (await harness.Store.ReadAsync(P("/memories/deploy-notes.md"), Ct)).ShouldBeNull();
        (await admin.HistoryAsync(cancellationToken: Ct)).Where(c => c.Actor == MemoryConsolidator.Actor).Count().ShouldBe(2);
    }

    [Fact]
    public async Task AnAnswerThatIsNotJson_OrAModelOutOfReach_LeavesTheRulesChanges_WithANote()
    {
        var (harness, admin) = await StartAsync("""
            conversations:
              - match: "You consolidate"
                turns: ["Everything looks fine to me."]
            """);
        await using var _ = harness;
        await admin.WriteAsync(P("/memories/copy.md"), Encoding.UTF8.GetBytes("Releases: Thursdays.\n"), cancellationToken: Ct);
        var engine = new ChatClientConsolidationEngine(harness.Client.AsIChatClient(AgentHarness.Model, 4096));
        var consolidator = new MemoryConsolidator(admin, new ConsolidationOptions { Model = engine });

        var prose = await consolidator.ProposeAsync(Ct);
        using var nowhere = new global::Anthropic.AnthropicClient(new global::Anthropic.Core.ClientOptions { ApiKey = "test-key", BaseUrl = "http://127.0.0.1:9", MaxRetries = 0 });
        var unreachable = await new MemoryConsolidator(admin, new ConsolidationOptions
        {
            Model = new ChatClientConsolidationEngine(nowhere.AsIChatClient(AgentHarness.Model, 4096)),
        }).ProposeAsync(Ct);

        prose.Changes.Single().Kind.ShouldBe(ConsolidationKind.ExactDuplicate);
        prose.Notes.ShouldBe(["the model's answer was not the JSON asked for; the proposal holds the rules' changes only"]);
        unreachable.Changes.Single().Kind.ShouldBe(ConsolidationKind.ExactDuplicate, "nothing listens there: the request fails");
        unreachable.Notes.Single().ShouldStartWith("the model could not be asked (");
    }
}
