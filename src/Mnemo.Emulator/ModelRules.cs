using System.Text.Json;
using Mnemo.Context;
using static Mnemo.Emulator.MessagesRequestValidator;

namespace Mnemo.Emulator;

/// <summary>
/// The checks that depend on the model, from <see cref="ClaudeModels"/>: which <c>thinking</c> types it takes and what it
/// does when <c>thinking</c> is left out, its output limit, forced tool use with thinking on, the binding controls of
/// thinking blocks, and mid-conversation system messages. A model the table does not know gets none of the model's own
/// limits (it may be a stand-in name), only the checks every model shares.
/// </summary>
internal static class ModelRules
{
    /// <summary>The beta of <c>thinking.block_binding</c> and of <c>input_transformations</c>.</summary>
    public const string BindingBeta = "thinking-binding-controls-2026-08-01";

    /// <summary>Checks the request against its model's rules.</summary>
    /// <param name="body">The request body, already checked for its shape.</param>
    /// <param name="countTokens">Whether it is a count_tokens request (no <c>max_tokens</c>).</param>
    /// <param name="betas">The betas it names.</param>
    /// <param name="thinkingGiven">Whether its <c>thinking</c> turns thinking on; <see langword="null"/> when it has none.</param>
    /// <param name="maxTokens">Its <c>max_tokens</c>.</param>
    /// <returns>Whether thinking is on, the model's default counted, and the model's row when the table knows it.</returns>
    public static (bool Thinking, ClaudeModel? Model) Check(JsonElement body, bool countTokens, IReadOnlyCollection<string> betas, bool? thinkingGiven, long maxTokens)
    {
        var lookup = ClaudeModels.Find(body.GetProperty("model"u8).GetString());
        var model = lookup.IsKnown ? lookup.Model : null;
        var thinking = thinkingGiven ?? (model is not null && model.DefaultThinking != ThinkingModes.Disabled);
        if (body.TryGetProperty("thinking"u8, out var config) && config.ValueKind == JsonValueKind.Object)
        {
            var type = config.GetProperty("type"u8).GetString()!;
            CheckBinding(config, type, betas);
            if (model is not null)
            {
                var mode = type switch { "enabled" => ThinkingModes.Enabled, "adaptive" => ThinkingModes.Adaptive, _ => ThinkingModes.Disabled };
                if ((model.Thinking & mode) == 0)
                {
                    throw Invalid(type switch
                    {
                        "enabled" => "`thinking.type.enabled` is not supported for this model. Use `thinking.type.adaptive` and `output_config.effort` to control thinking behavior.",
                        "adaptive" => "`thinking.type.adaptive` is not supported for this model. Use `thinking.type.enabled` with `budget_tokens`.",
                        _ => "`thinking.type.disabled` is not supported for this model: it always thinks. Leave `thinking` out, or use `thinking.type.adaptive`.",
                    });
                }
            }
        }

        if (model is { AcceptsCompaction: false } && body.TryGetProperty("context_management"u8, out var management) &&
            management.ValueKind == JsonValueKind.Object && management.TryGetProperty("edits"u8, out var edits) && edits.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var edit in edits.EnumerateArray())
            {
                if (edit.ValueKind == JsonValueKind.Object && edit.TryGetProperty("type"u8, out var type) && type.ValueKind == JsonValueKind.String &&
                    type.ValueEquals(CompactEdit.TypeName))
                {
                    throw Invalid(Format($"context_management.edits.{i}.type: `{CompactEdit.TypeName}` is not supported for {model.Id}"));
                }

                i++;
            }
        }

        if (model is not null && !countTokens && maxTokens > model.MaxOutputTokens)
        {
            throw Invalid(Format($"max_tokens: {maxTokens} > {model.MaxOutputTokens}, which is the maximum allowed number of output tokens for {model.Id}"));
        }

        if (thinking && body.TryGetProperty("tool_choice"u8, out var choice) && choice.ValueKind == JsonValueKind.Object &&
            choice.TryGetProperty("type"u8, out var choiceType) && choiceType.ValueKind == JsonValueKind.String &&
            (choiceType.ValueEquals("any"u8) || choiceType.ValueEquals("tool"u8)))
        {
            throw Invalid("Thinking may not be enabled when tool_choice forces tool use.");
        }

        return (thinking, model);
    }

    /// <summary>The binding behaviour a request asks for: <c>"error"</c> unless it opts into <c>"drop_block"</c>.</summary>
    public static bool DropsMismatchedBlocks(JsonElement body) =>
        body.TryGetProperty("thinking"u8, out var config) && config.ValueKind == JsonValueKind.Object &&
        config.TryGetProperty("block_binding"u8, out var binding) && binding.ValueKind == JsonValueKind.Object &&
        binding.TryGetProperty("prefix_mismatch_behavior"u8, out var behavior) && behavior.ValueKind == JsonValueKind.String &&
        behavior.ValueEquals("drop_block"u8);

    private static void CheckBinding(JsonElement config, string type, IReadOnlyCollection<string> betas)
    {
        if (!config.TryGetProperty("block_binding"u8, out var binding) || binding.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (!betas.Contains(BindingBeta))
        {
            // Without its beta the field is unknown to the API, which rejects unknown fields.
            throw Invalid(Format($"thinking.{type}.block_binding: Extra inputs are not permitted"));
        }

        if (binding.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(Format($"thinking.{type}.block_binding: Input should be a valid dictionary"));
        }

        foreach (var property in binding.EnumerateObject())
        {
            if (!property.NameEquals("prefix_mismatch_behavior"u8))
            {
                throw Invalid(Format($"thinking.{type}.block_binding.{property.Name}: Extra inputs are not permitted"));
            }

            if (property.Value.ValueKind != JsonValueKind.String || !(property.Value.ValueEquals("error"u8) || property.Value.ValueEquals("drop_block"u8)))
            {
                throw Invalid(Format($"thinking.{type}.block_binding.prefix_mismatch_behavior: Input should be 'error' or 'drop_block'"));
            }
        }
    }
}
