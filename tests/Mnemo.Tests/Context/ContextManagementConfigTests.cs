using System.Text.Json;
using System.Text.Json.Nodes;
using Mnemo.Context;

namespace Mnemo.Tests.Context;

public sealed class ContextManagementConfigTests
{
    [Theory]
    [InlineData("""{"edits":[]}""")]
    [InlineData("""{"edits":[{"type":"clear_tool_uses_20250919"}]}""")]
    [InlineData("""{"edits":[{"type":"clear_thinking_20251015","keep":{"type":"thinking_turns","value":2}},{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":30000},"keep":{"type":"tool_uses","value":0},"clear_at_least":{"type":"input_tokens","value":5000},"exclude_tools":["memory","web_search"],"clear_tool_inputs":false}]}""")]
    [InlineData("""{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":8},"clear_tool_inputs":["bash"]}]}""")]
    [InlineData("""{"edits":[{"type":"clear_tool_uses_20250919","clear_tool_inputs":true}]}""")]
    [InlineData("""{"edits":[{"type":"clear_thinking_20251015","keep":"all"}]}""")]
    [InlineData("""{"edits":[{"type":"clear_thinking_20251015","keep":{"type":"all"}}]}""")]
    [InlineData("""{"edits":[{"type":"clear_thinking_20251015"}]}""")]
    public void Parse_ValidConfig_RoundTripsToIdenticalJson(string json) =>
        ContextManagementConfig.Parse(json).ToJsonString().ShouldBe(json);

    [Fact]
    public void Parse_FieldsInAnotherOrder_WritesTheSameValues()
    {
        var json = """{"edits":[{"keep":{"value":1,"type":"tool_uses"},"type":"clear_tool_uses_20250919"}]}""";
        var written = ContextManagementConfig.Parse(json).ToJsonString();
        JsonNode.DeepEquals(JsonNode.Parse(written), JsonNode.Parse(json)).ShouldBeTrue();
        ContextManagementConfig.Parse(written).ToJsonString().ShouldBe(written);
    }

    [Fact]
    public void Parse_OmittedFields_TakeTheApiDefaults()
    {
        var clear = ContextManagementConfig.Parse("""{"edits":[{"type":"clear_tool_uses_20250919"}]}""").Edits[0].ShouldBeOfType<ClearToolUsesEdit>();
        clear.EffectiveTrigger.ShouldBe(new ContextTrigger(ContextTriggerKind.InputTokens, 100_000));
        clear.EffectiveKeep.ShouldBe(3);
        clear.ClearAtLeast.ShouldBeNull();
        clear.Excludes("memory").ShouldBeFalse();
        clear.ClearsInputOf("bash").ShouldBeFalse();

        var thinking = ContextManagementConfig.Parse("""{"edits":[{"type":"clear_thinking_20251015"}]}""").Edits[0].ShouldBeOfType<ClearThinkingEdit>();
        thinking.EffectiveKeepTurns.ShouldBe(1);
    }

    [Fact]
    public void Parse_ClearToolInputsList_ClearsOnlyThoseTools()
    {
        var clear = (ClearToolUsesEdit)ContextManagementConfig.Parse(
            """{"edits":[{"type":"clear_tool_uses_20250919","clear_tool_inputs":["bash"]}]}""").Edits[0];
        clear.ClearsInputOf("bash").ShouldBeTrue();
        clear.ClearsInputOf("memory").ShouldBeFalse();
    }

    [Theory]
    [InlineData("""{"edits":[{"type":"clear_everything"}]}""",
        "context_management.edits.0.type: Input tag 'clear_everything' found using 'type' does not match any of the expected tags: 'clear_tool_uses_20250919', 'clear_thinking_20251015', 'compact_20260112'")]
    [InlineData("""{"edits":[{}]}""", "context_management.edits.0.type: Field required")]
    [InlineData("""{}""", "context_management.edits: Field required")]
    [InlineData("""{"edits":{}}""", "context_management.edits: Input should be a valid list")]
    [InlineData("""[]""", "context_management: Input should be an object")]
    [InlineData("""{"edits":[],"extra":1}""", "context_management.extra: Extra inputs are not permitted")]
    [InlineData("""{"edits":[{"type":"clear_tool_uses_20250919","keep_last":3}]}""",
        "context_management.edits.0.keep_last: Extra inputs are not permitted")]
    [InlineData("""{"edits":[{"type":"clear_tool_uses_20250919"},{"type":"clear_tool_uses_20250919"}]}""",
        "context_management.edits.1: strategy `clear_tool_uses_20250919` is given more than once")]
    [InlineData("""{"edits":[{"type":"clear_tool_uses_20250919"},{"type":"clear_thinking_20251015"}]}""",
        "context_management.edits.1: `clear_thinking_20251015` must be the first strategy in `edits`")]
    [InlineData("""{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":0}}]}""",
        "context_management.edits.0.trigger.value: Input should be greater than or equal to 1")]
    [InlineData("""{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"tokens","value":10}}]}""",
        "context_management.edits.0.trigger.type: Input should be 'input_tokens' or 'tool_uses'")]
    [InlineData("""{"edits":[{"type":"clear_tool_uses_20250919","trigger":{"type":"input_tokens","value":1.5}}]}""",
        "context_management.edits.0.trigger.value: Input should be a valid integer")]
    [InlineData("""{"edits":[{"type":"clear_tool_uses_20250919","keep":{"type":"tool_uses","value":-1}}]}""",
        "context_management.edits.0.keep.value: Input should be greater than or equal to 0")]
    [InlineData("""{"edits":[{"type":"clear_tool_uses_20250919","keep":{"type":"tool_uses"}}]}""",
        "context_management.edits.0.keep.value: Field required")]
    [InlineData("""{"edits":[{"type":"clear_tool_uses_20250919","clear_at_least":{"type":"input_tokens","value":0}}]}""",
        "context_management.edits.0.clear_at_least.value: Input should be greater than or equal to 1")]
    [InlineData("""{"edits":[{"type":"clear_tool_uses_20250919","exclude_tools":["memory",3]}]}""",
        "context_management.edits.0.exclude_tools.1: Input should be a valid string")]
    [InlineData("""{"edits":[{"type":"clear_tool_uses_20250919","clear_tool_inputs":"yes"}]}""",
        "context_management.edits.0.clear_tool_inputs: Input should be a valid boolean or a list of tool names")]
    [InlineData("""{"edits":[{"type":"clear_thinking_20251015","keep":{"type":"thinking_turns","value":0}}]}""",
        "context_management.edits.0.keep.value: Input should be greater than or equal to 1")]
    [InlineData("""{"edits":[{"type":"clear_thinking_20251015","keep":"some"}]}""",
        "context_management.edits.0.keep: Input should be 'all' or an object with a type")]
    [InlineData("""{"edits":[""", "context_management: not valid JSON at line 1, byte 11")]
    public void Parse_InvalidConfig_FailsLikeTheApi(string json, string expected) =>
        Should.Throw<ContextFormatException>(() => ContextManagementConfig.Parse(json)).Message.ShouldBe(expected);

    [Fact]
    public void ValidateFor_ThinkingStrategyWithoutThinking_FailsWithTheApisMessage()
    {
        var config = ContextManagementConfig.Parse("""{"edits":[{"type":"clear_thinking_20251015"}]}""");
        var request = ContextRequest.Parse("""{"model":"m","messages":[{"role":"user","content":"hi"}]}""");
        Should.Throw<ContextFormatException>(() => config.ValidateFor(request)).Message
            .ShouldBe("`clear_thinking_20251015` strategy requires `thinking` to be enabled or adaptive");
        config.ValidateFor(ContextRequest.Parse(
            """{"model":"m","thinking":{"type":"enabled","budget_tokens":2000},"messages":[{"role":"user","content":"hi"}]}"""));
        config.ValidateFor(ContextRequest.Parse("""{"model":"m","thinking":{"type":"adaptive"},"messages":[]}"""));
        config.ValidateFor(ContextRequest.Parse("""[{"role":"user","content":"hi"}]"""));
    }

    [Fact]
    public void Constructor_FromCode_ChecksTheSameRulesAndWritesTheApisJson()
    {
        var config = new ContextManagementConfig([
            new ClearThinkingEdit { KeepTurns = 2 },
            new ClearToolUsesEdit
            {
                Trigger = new ContextTrigger(ContextTriggerKind.ToolUses, 5),
                Keep = 1,
                ExcludeTools = ["memory"],
                ClearToolInputs = true,
            },
        ]);
        config.ToJsonString().ShouldBe(
            """{"edits":[{"type":"clear_thinking_20251015","keep":{"type":"thinking_turns","value":2}},{"type":"clear_tool_uses_20250919","trigger":{"type":"tool_uses","value":5},"keep":{"type":"tool_uses","value":1},"exclude_tools":["memory"],"clear_tool_inputs":true}]}""");

        Should.Throw<ContextFormatException>(() => new ContextManagementConfig([new ClearToolUsesEdit(), new ClearThinkingEdit()]));
        Should.Throw<ContextFormatException>(() => new ContextManagementConfig([new ClearToolUsesEdit { Keep = -1 }]));
        Should.Throw<ArgumentOutOfRangeException>(() => new ClearThinkingEdit { KeepTurns = 0 });
    }

    [Fact]
    public void FromJson_ConfigInsideARequest_ReadsTheRequestsOwnObject()
    {
        var request = ContextRequest.Parse(
            """{"model":"m","messages":[],"context_management":{"edits":[{"type":"clear_tool_uses_20250919","keep":{"type":"tool_uses","value":1}}]}}""");
        var config = ContextManagementConfig.FromJson(request.ContextManagement!.Value);
        ((ClearToolUsesEdit)config.Edits[0]).EffectiveKeep.ShouldBe(1);
        JsonSerializer.Serialize(request.ContextManagement).ShouldBe(config.ToJsonString());
    }
}
