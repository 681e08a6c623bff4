using System.Text.Json;
using Mnemo.Emulator;
using static Mnemo.Emulator.Tests.Emulators;

namespace Mnemo.Emulator.Tests;

public sealed class AssistantScriptTests
{
    [Fact]
    public void ParseYaml_AndTheSameJson_ReadTheSame()
    {
        var yaml = AssistantScript.ParseYaml("""
            model: claude-test
            conversations:
              - name: review
                match_regex: "review .*\\.py"
                turns:
                  - text: Looking.
                    tool_use: {name: memory, input: {command: view, path: /memories, view_range: [1, -1]}}
                  - Done.
            rules:
              - match: hello
                reply: {text: Hi, stop_reason: end_turn}
            """);
        var json = AssistantScript.ParseJson("""
            {"model": "claude-test",
             "conversations": [{"name": "review", "match_regex": "review .*\\.py", "turns": [
                {"text": "Looking.", "tool_use": [{"name": "memory", "input": {"command": "view", "path": "/memories", "view_range": [1, -1]}}]},
                "Done."]}],
             "rules": [{"match": "hello", "reply": {"text": "Hi", "stop_reason": "end_turn"}}]}
            """);

        foreach (var script in new[] { yaml, json })
        {
            script.Model.ShouldBe("claude-test");
            var conversation = script.Conversations.Single();
            conversation.Match!.IsMatch("Please REVIEW scraper.py").ShouldBeTrue();
            conversation.Match.IsMatch("review notes.md").ShouldBeFalse();
            conversation.Turns[1].Text.ShouldBe("Done.");
            var call = conversation.Turns[0].ToolUses.Single();
            call.Input.GetProperty("view_range")[1].GetInt32().ShouldBe(-1, "plain YAML numbers are numbers");
            script.Rules.Single().Reply.StopReason.ShouldBe("end_turn");
        }
    }

    [Theory]
    [InlineData("turns: [{text: a, tool_use: {name: memory, input: oops}}]", "script.turns.0.tool_use.input: expected an object, got a string")]
    [InlineData("turns: [{txt: a}]", "script.turns.0: unknown field \"txt\"; expected one of text, thinking, tool_use, content, stop_reason, error, delay_ms, when, when_regex, otherwise")]
    [InlineData("turns: [{text: a, when: x}]", "script.turns.0: a turn with when needs otherwise: the turn to play when the last user message does not match")]
    [InlineData("turns: [{text: a, otherwise: b}]", "script.turns.0: otherwise goes with when (or when_regex)")]
    [InlineData("turns: [{text: a, when: x, otherwise: {txt: b}}]", "script.turns.0.otherwise: unknown field \"txt\"; expected one of text, thinking, tool_use, content, stop_reason, error, delay_ms")]
    [InlineData("rules: [{match: x, reply: {text: a, when: x}}]", "script.rules.0.reply: unknown field \"when\"")]
    [InlineData("turns: [{stop_reason: done}]", "script.turns.0.stop_reason: expected one of end_turn, max_tokens, stop_sequence, tool_use, pause_turn, refusal, got \"done\"")]
    [InlineData("rules: [{reply: hi}]", "script.rules.0: a rule needs match or match_regex")]
    [InlineData("conversations: [{match_regex: '(', turns: [a]}]", "script.conversations.0: match_regex: not a valid regular expression")]
    [InlineData("model: x", "script: no turns, conversations or rules; the assistant would have nothing to say")]
    [InlineData("turns: [a\n  b: c", "not valid YAML at line")]
    public void ParseYaml_Mistake_SaysWhereAndWhat(string yaml, string message)
    {
        var error = Should.Throw<ScriptFormatException>(() => AssistantScript.ParseYaml(yaml));
        error.Message.ShouldStartWith(message);
    }

    [Fact]
    public void ParseJson_NotJson_SaysWhere()
    {
        Should.Throw<ScriptFormatException>(() => AssistantScript.ParseJson("{\"turns\": [")).Message.ShouldStartWith("not valid JSON at line 1");
    }

    [Fact]
    public async Task Rules_AnswerWhereverTheyMatch_AndTheConversationResumesAfter()
    {
        await using var emulator = await StartAsync("""
            turns:
              - {text: Step one., tool_use: {name: t, input: {}}}
              - Step two.
            rules:
              - match: will be cleared soon
                reply: Saving my notes first.
            """);
        var first = (await emulator.PostAsync("/v1/messages", Body(User("go")))).Body;
        var id = first.GetProperty("content")[1].GetProperty("id").GetString();
        var history = $$$"""{{{User("go")}}},{{{JsonSerializer.Serialize(new { role = "assistant", content = first.GetProperty("content") })}}},{"role":"user","content":[{"type":"tool_result","tool_use_id":"{{{id}}}","content":"r"},{"type":"text","text":"Context will be cleared soon."}]}""";

        var warned = (await emulator.PostAsync("/v1/messages", Body(history))).Body;
        history += $$$""",{"role":"assistant","content":"Saving my notes first."},{{{User("carry on")}}}""";
        var resumed = (await emulator.PostAsync("/v1/messages", Body(history))).Body;

        warned.GetProperty("content")[0].GetProperty("text").GetString().ShouldBe("Saving my notes first.");
        resumed.GetProperty("content")[0].GetProperty("text").GetString().ShouldBe("Step two.", "a rule's answer takes no turn of the conversation");
    }

    [Fact]
    public async Task Conversation_HistoryBuiltByHand_StartsAtItsFirstTurn()
    {
        await using var emulator = await StartAsync("turns: [First scripted answer.]");
        var history = Body($$"""{{User("q1")}},{"role":"assistant","content":"an answer from elsewhere"},{{User("q2")}}""");

        var answer = (await emulator.PostAsync("/v1/messages", history)).Body;

        answer.GetProperty("content")[0].GetProperty("text").GetString().ShouldBe("First scripted answer.");
    }

    [Fact]
    public async Task Conversations_ChosenByTheFirstUserMessage()
    {
        await using var emulator = await StartAsync("""
            conversations:
              - {match: scraper, turns: [About the scraper.]}
              - {match: fetcher, turns: [About the fetcher.]}
            """);

        (await emulator.PostAsync("/v1/messages", Body(User("Review fetcher.py")))).Body.GetProperty("content")[0].GetProperty("text").GetString()
            .ShouldBe("About the fetcher.");
        (await emulator.PostAsync("/v1/messages", Body(User("Review scraper.py")))).Body.GetProperty("content")[0].GetProperty("text").GetString()
            .ShouldBe("About the scraper.");
        var none = await emulator.PostAsync("/v1/messages", Body(User("Review app.py")));
        none.Body.GetProperty("error").GetProperty("message").GetString()
            .ShouldBe("mnemo emulator script: no conversation matches the first user message (\"Review app.py\") and no rule matches the last (\"Review app.py\")");
    }

    [Fact]
    public async Task TurnWithTwoForms_PlaysWhenItsUserMessageMatches_BeforeAnyRule_AndOtherwiseItsOtherForm()
    {
        const string Script = """
            turns:
              - {text: Reading., tool_use: {name: t, input: {}}}
              - when: will be cleared soon
                text: Saving what I just read first.
                tool_use: {name: save, input: {}}
                otherwise: {text: Noting what I read., tool_use: {name: save, input: {note: plain}}}
              - Done.
            rules:
              - match: will be cleared soon
                reply: The rule's answer.
            """;
        await using var emulator = await StartAsync(Script);
        var first = (await emulator.PostAsync("/v1/messages", Body(User("go")))).Body;
        var id = first.GetProperty("content")[1].GetProperty("id").GetString();
        string History(string notice) =>
            $$$"""{{{User("go")}}},{{{JsonSerializer.Serialize(new { role = "assistant", content = first.GetProperty("content") })}}},{"role":"user","content":[{"type":"tool_result","tool_use_id":"{{{id}}}","content":"r"}{{{notice}}}]}""";

        var warned = (await emulator.PostAsync("/v1/messages", Body(History(""",{"type":"text","text":"Context will be cleared soon."}""")))).Body;
        var plain = (await emulator.PostAsync("/v1/messages", Body(History(string.Empty)))).Body;

        warned.GetProperty("content")[0].GetProperty("text").GetString().ShouldBe("Saving what I just read first.", "the turn's own form comes before the rule");
        plain.GetProperty("content")[0].GetProperty("text").GetString().ShouldBe("Noting what I read.");
        plain.GetProperty("content")[1].GetProperty("input").GetProperty("note").GetString().ShouldBe("plain");
        foreach (var form in new[] { warned, plain })
        {
            // Either form is the turn: the conversation goes on to the next one.
            var saveId = form.GetProperty("content")[1].GetProperty("id").GetString();
            var next = History(string.Empty) +
                $$$""",{{{JsonSerializer.Serialize(new { role = "assistant", content = form.GetProperty("content") })}}},{"role":"user","content":[{"type":"tool_result","tool_use_id":"{{{saveId}}}","content":"ok"}]}""";
            (await emulator.PostAsync("/v1/messages", Body(next))).Body.GetProperty("content")[0].GetProperty("text").GetString().ShouldBe("Done.");
        }
    }
}
