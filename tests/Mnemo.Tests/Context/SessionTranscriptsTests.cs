using System.Text;
using System.Text.Json.Nodes;
using Mnemo.Context;
using Mnemo.Context.Replay;

namespace Mnemo.Tests.Context;

/// <summary>Reading sessions from transcripts. The Claude Code lines here are written by the tests in the shape Claude Code
/// writes them (field names as in its transcripts: <c>type</c>, <c>uuid</c>, <c>parentUuid</c>, <c>isSidechain</c>,
/// <c>message</c>, <c>timestamp</c>, <c>compact_boundary</c> with <c>logicalParentUuid</c>); their content is made up and
/// says so. Recorded sessions are replayed in the command's tests.</summary>
public sealed class SessionTranscriptsTests
{
    private static int _id;

    private static JsonObject Line(string type, string? parent, object message, string? uuid = null, bool sidechain = false, string? at = null)
    {
        var line = new JsonObject
        {
            ["type"] = type,
            ["uuid"] = uuid ?? $"u{Interlocked.Increment(ref _id)}",
            ["parentUuid"] = parent,
            ["isSidechain"] = sidechain,
            ["sessionId"] = "made-up",
            ["timestamp"] = at ?? "2026-12-01T09:00:00.000Z",
            ["message"] = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(message)),
        };
        return line;
    }

    private static string Uuid(JsonObject line) => line["uuid"]!.GetValue<string>();

    private static ReplaySession Read(params JsonNode[] lines) =>
        SessionTranscripts.Read(Encoding.UTF8.GetBytes(string.Join('\n', lines.Select(line => line.ToJsonString())) + "\n"));

    private static object Assistant(string id, object block, long input = 100) => new
    {
        id,
        type = "message",
        role = "assistant",
        model = "claude-sonnet-4-5-20250929",
        content = new[] { block },
        usage = new { input_tokens = 3, cache_creation_input_tokens = input, cache_read_input_tokens = 0, output_tokens = 20 },
    };

    [Fact]
    public void ClaudeCode_AResponseStreamedOverLines_IsOneMessage_AndOneRequest_WithItsUsage()
    {
        var user = Line("user", null, new { role = "user", content = "Find the bug." });
        var text = Line("assistant", Uuid(user), Assistant("msg_1", new { type = "text", text = "Looking.", citations = (string?)null }));
        var call = Line("assistant", Uuid(text), Assistant("msg_1", new { type = "tool_use", id = "toolu_1", name = "Read", input = new { file_path = "a.py" } }, input: 150));
        var result = Line("user", Uuid(call), new { role = "user", content = new[] { new { type = "tool_result", tool_use_id = "toolu_1", content = "print(1)", is_error = (bool?)null } } });
        var answer = Line("assistant", Uuid(result), Assistant("msg_2", new { type = "text", text = "Found it." }, input: 300), at: "2026-12-01T09:01:00.000Z");

        var session = Read(user, text, call, result, answer);

        session.Format.ShouldBe("claude-code");
        session.Model.ShouldBe("claude-sonnet-4-5-20250929");
        var segment = session.Segments.ShouldHaveSingleItem();
        segment.Conversation.Messages.Select(m => m.Role).ShouldBe(["user", "assistant", "user", "assistant"]);
        segment.Conversation.Messages[1].Blocks.Select(b => b.Kind).ShouldBe([ContextBlockKind.Other, ContextBlockKind.ToolUse]);
        segment.Conversation.Messages[1].Json.ToString().ShouldNotContain("citations", customMessage: "null fields are not what the API was sent");
        segment.Requests.Select(r => r.MessageCount).ShouldBe([1, 3]);
        segment.Requests[0].Usage!.TotalInputTokens.ShouldBe(153, "the usage of the response's last line");
        segment.Requests[1].At.ShouldBe(new DateTimeOffset(2026, 12, 1, 9, 1, 0, TimeSpan.Zero));
    }

    [Fact]
    public void ClaudeCode_SidechainsSummariesAndOtherLineTypes_AreSkippedAndCounted_AndABadLineIsNamed()
    {
        var user = Line("user", null, new { role = "user", content = "Start." });
        var side = Line("assistant", null, Assistant("msg_s", new { type = "text", text = "sub-agent" }), sidechain: true);
        var answer = Line("assistant", Uuid(user), Assistant("msg_1", new { type = "fancy_new_block", data = 1 }));

        var session = SessionTranscripts.Read(Encoding.UTF8.GetBytes(string.Join('\n',
            """{"type":"summary","summary":"Made-up title","leafUuid":"x"}""",
            user.ToJsonString(),
            "{not json",
            side.ToJsonString(),
            """{"type":"file-history-snapshot","messageId":"m","snapshot":{}}""",
            answer.ToJsonString())));

        session.Skipped.ShouldBe(new Dictionary<string, int> { ["summary"] = 1, ["sidechain"] = 1, ["file-history-snapshot"] = 1 }, ignoreOrder: true);
        session.Malformed.ShouldBe(["line 3: not valid JSON (byte 2)"]);
        session.UnknownBlocks.ShouldBe(new Dictionary<string, int> { ["fancy_new_block"] = 1 });
        session.RequestCount.ShouldBe(1, "the rest of the session was read");
    }

    [Fact]
    public void ClaudeCode_ARewoundBranchIsLeftOut_AndACompactionStartsASegment()
    {
        var first = Line("user", null, new { role = "user", content = "Plan it." });
        var reply = Line("assistant", Uuid(first), Assistant("msg_1", new { type = "text", text = "A plan." }));
        var abandoned = Line("user", Uuid(reply), new { role = "user", content = "First attempt." });
        var abandonedReply = Line("assistant", Uuid(abandoned), Assistant("msg_2", new { type = "text", text = "First answer." }));
        var retry = Line("user", Uuid(reply), new { role = "user", content = "Second attempt." });
        var retryReply = Line("assistant", Uuid(retry), Assistant("msg_3", new { type = "text", text = "Second answer." }));
        var boundary = new JsonObject
        {
            ["type"] = "system", ["subtype"] = "compact_boundary", ["uuid"] = "cb", ["parentUuid"] = null, ["logicalParentUuid"] = Uuid(retryReply),
            ["content"] = "Conversation compacted", ["isSidechain"] = false,
        };
        var summary = Line("user", "cb", new { role = "user", content = "This session is being continued from a previous conversation. Summary: made up." });
        var after = Line("user", Uuid(summary), new { role = "user", content = "Go on." });
        var last = Line("assistant", Uuid(after), Assistant("msg_4", new { type = "text", text = "Done." }));

        var session = Read(first, reply, abandoned, abandonedReply, retry, retryReply, boundary, summary, after, last);

        session.Segments.Count.ShouldBe(2);
        string Texts(ReplaySegment segment) => string.Join(" | ", segment.Conversation.Messages.Select(m => m.Json.ToString()));
        Texts(session.Segments[0]).ShouldContain("Second attempt.");
        Texts(session.Segments[0]).ShouldNotContain("First attempt.");
        session.Segments[0].Requests.Select(r => r.MessageCount).ShouldBe([1, 3]);
        session.Segments[1].Conversation.Messages.Count.ShouldBe(2, "the summary and what followed, one user message as the API takes them");
        session.Segments[1].Requests.Select(r => r.MessageCount).ShouldBe([1]);
    }

    [Fact]
    public void RequestBody_EachAssistantMessageEndsARequest_AndATrailingUserTurnIsOneMore()
    {
        var session = SessionTranscripts.Read("""
            {"model": "claude-opus-4-5", "system": "Be brief.", "messages": [
              {"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
              {"role": "user", "content": "c"}, {"role": "assistant", "content": "d"}, {"role": "user", "content": "e"}]}
            """u8);

        session.Format.ShouldBe("messages");
        session.Segments.Single().Requests.Select(r => r.MessageCount).ShouldBe([1, 3, 5]);
    }

    [Theory]
    [InlineData("", "the file is empty")]
    [InlineData("{\"type\":\"summary\",\"summary\":\"x\"}", "no conversation in it: no user message answered by the assistant")]
    [InlineData("{oops\n{also bad", "no conversation could be read (line 1: not valid JSON (byte 2))")]
    [InlineData("{\"model\": \"m\", \"messages\": [{\"role\": \"assistant\", \"content\": \"x\"}]}", "messages: no request to replay (no user message before an assistant one)")]
    public void NothingToReplay_IsSaidInOneLine(string text, string message)
    {
        Should.Throw<ContextFormatException>(() => SessionTranscripts.Read(Encoding.UTF8.GetBytes(text))).Message.ShouldBe(message);
    }
}
