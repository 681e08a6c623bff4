using Microsoft.Extensions.AI;
using Mnemo.Context;

namespace Mnemo.Tests.Context;

public sealed class ContextEditingChatReducerTests
{
    private const string Placeholder = "[cleared: this tool result was removed to save context]";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// A tool loop as Microsoft.Extensions.AI clients record it: each assistant message calls two functions, and each
    /// result comes in a tool message of its own.
    /// </summary>
    /// <param name="rounds">How many rounds of calls.</param>
    /// <param name="thinking">Whether each round reasons first, and is a turn of its own: the user asks again before it.</param>
    private static List<ChatMessage> ToolLoop(int rounds, bool thinking = false)
    {
        var messages = new List<ChatMessage>
        {
            new(ChatRole.System, "You review code."),
            new(ChatRole.User, [new TextContent("Review the repository."), new DataContent(new byte[] { 1, 2, 3 }, "image/png")]),
        };
        for (var r = 0; r < rounds; r++)
        {
            var contents = new List<AIContent>();
            if (thinking)
            {
                if (r > 0)
                {
                    messages.Add(new ChatMessage(ChatRole.User, $"Now round {r}."));
                }

                contents.Add(new TextReasoningContent($"round {r}: read both files") { ProtectedData = $"sig{r}" });
            }

            contents.Add(new FunctionCallContent($"call_{r}a", "read_file", new Dictionary<string, object?> { ["path"] = $"src/a{r}.cs" }));
            contents.Add(new FunctionCallContent($"call_{r}b", "grep", new Dictionary<string, object?> { ["pattern"] = $"TODO{r}" }));
            messages.Add(new ChatMessage(ChatRole.Assistant, contents) { MessageId = $"m{r}" });
            messages.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent($"call_{r}a", $"class A{r} {{ }} " + new string('x', 300))
            {
                AdditionalProperties = new() { ["source"] = "disk" },
            }]));
            messages.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent($"call_{r}b", new[] { $"a{r}.cs:1: TODO", $"b{r}.cs:9: TODO" })]));
        }

        messages.Add(new ChatMessage(ChatRole.Assistant, "Two TODOs remain."));
        return messages;
    }

    private static ContextEditingChatReducer Reducer(string edits) => new(ContextManagementConfig.Parse($$"""{"edits":[{{edits}}]}"""));

    private static FunctionResultContent Result(IReadOnlyList<ChatMessage> messages, string callId) =>
        messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Single(r => r.CallId == callId);

    [Fact]
    public async Task ReduceAsync_ToolLoop_ClearsTheOldestResultsAndKeepsEverythingElse()
    {
        var messages = ToolLoop(4);
        var snapshot = messages.Select(m => m.Contents.ToArray()).ToArray();
        var reducer = Reducer("""{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":1},"keep":{"type":"tool_uses","value":3}}""");

        var edit = await reducer.EditAsync(messages, Ct);

        edit.Result.AppliedEdits.Single().ClearedToolUses.ShouldBe(5);
        edit.Result.AppliedEdits.Single().ClearedInputTokens.ShouldBePositive();
        edit.Messages.Count.ShouldBe(messages.Count);
        foreach (var id in new[] { "call_0a", "call_0b", "call_1a", "call_1b", "call_2a" })
        {
            Result(edit.Messages, id).Result.ShouldBe(Placeholder, id);
        }

        Result(edit.Messages, "call_0a").AdditionalProperties!["source"].ShouldBe("disk");
        foreach (var id in new[] { "call_2b", "call_3a", "call_3b" })
        {
            Result(edit.Messages, id).ShouldBeSameAs(Result(messages, id), id);
        }

        // Messages editing did not touch are the same instances, the image among the user's contents included.
        edit.Messages[0].ShouldBeSameAs(messages[0]);
        edit.Messages[1].ShouldBeSameAs(messages[1]);
        edit.Messages[2].ShouldBeSameAs(messages[2], "calls keep their inputs");
        edit.Messages[^1].ShouldBeSameAs(messages[^1]);
        edit.Messages[^2].ShouldBeSameAs(messages[^2]);

        // The input is never changed.
        for (var i = 0; i < messages.Count; i++)
        {
            messages[i].Contents.ShouldBe(snapshot[i]);
        }

        Result(messages, "call_0a").Result.ShouldNotBe(Placeholder);
    }

    [Fact]
    public async Task ReduceAsync_ClearToolInputs_EmptiesTheArgumentsOfThoseToolsOnly()
    {
        var messages = ToolLoop(3);
        var reducer = Reducer(
            """{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":1},"keep":{"type":"tool_uses","value":2},"clear_tool_inputs":["read_file"]}""");

        var reduced = (await ((IChatReducer)reducer).ReduceAsync(messages, Ct)).ToList();

        var first = reduced[2];
        first.ShouldNotBeSameAs(messages[2]);
        first.MessageId.ShouldBe("m0");
        var calls = first.Contents.OfType<FunctionCallContent>().ToArray();
        calls[0].CallId.ShouldBe("call_0a");
        calls[0].Name.ShouldBe("read_file");
        calls[0].Arguments.ShouldBeEmpty();
        calls[1].ShouldBeSameAs(messages[2].Contents[1], "grep is not in clear_tool_inputs");
        ((FunctionCallContent)messages[2].Contents[0]).Arguments!["path"].ShouldBe("src/a0.cs");
    }

    [Fact]
    public async Task ReduceAsync_ClearThinking_KeepsTheLastTurnsThinkingAndDropsMessagesLeftEmpty()
    {
        var messages = ToolLoop(3, thinking: true);
        // A client that keeps the reasoning in a message of its own, before the calls.
        messages.Insert(2, new ChatMessage(ChatRole.Assistant, [new TextReasoningContent("planning") { ProtectedData = "sigp" }]));
        var reducer = Reducer("""{"type":"clear_thinking_20251015","keep":{"type":"thinking_turns","value":1}}""");

        var edit = await reducer.EditAsync(messages, Ct);

        edit.Result.AppliedEdits.Single().ClearedThinkingTurns.ShouldBe(2);
        edit.Messages.Count.ShouldBe(messages.Count - 1, "the reasoning-only message had nothing else");
        var reasoning = edit.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>().ToArray();
        reasoning.Select(r => r.ProtectedData).ShouldBe(["sig2"]);
        edit.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Count().ShouldBe(6, "no call is lost with the thinking");
    }

    [Fact]
    public async Task ReduceAsync_BelowTheTrigger_ReturnsTheSameMessages()
    {
        var messages = ToolLoop(2);
        var reducer = Reducer("""{"type":"clear_tool_uses_20250919"}""");

        var reduced = (await reducer.ReduceAsync(messages, Ct)).ToList();

        reduced.Count.ShouldBe(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            reduced[i].ShouldBeSameAs(messages[i]);
        }
    }
}
