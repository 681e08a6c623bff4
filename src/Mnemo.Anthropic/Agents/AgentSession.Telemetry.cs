using System.Diagnostics;
using Anthropic.Models.Beta.Messages;

namespace Mnemo.Anthropic.Agents;

/// <summary>Each turn as a span of <see cref="MnemoTelemetry.Source"/>, in OpenTelemetry's generative-AI conventions
/// (<c>chat {model}</c>, <c>gen_ai.*</c>), with what context management did to the request (<c>mnemo.context.*</c>).
/// Never the messages, the tool results or memory content.</summary>
public sealed partial class AgentSession
{
    /// <summary>Starts the span of a request; <see langword="null"/> when nobody listens.</summary>
    private Activity? StartTurnActivity(int number, long projected)
    {
        var activity = MnemoTelemetry.Source.StartActivity("chat " + _options.Model, ActivityKind.Client);
        if (activity is null)
        {
            return null;
        }

        activity.SetTag("gen_ai.operation.name", "chat");
        activity.SetTag("gen_ai.provider.name", "anthropic");
        activity.SetTag("gen_ai.request.model", _options.Model);
        activity.SetTag("gen_ai.request.max_tokens", _options.MaxTokens);
        activity.SetTag("mnemo.agent.request", number);
        activity.SetTag("mnemo.context.side", _options.ContextEditing == ContextEditingSide.Client ? "client" : "server");
        activity.SetTag("mnemo.context.projected_tokens", projected);
        return activity;
    }

    /// <summary>Ends the span of a request with its response: model, usage, stop reason, and what was cleared. (A request
    /// that fails ends its span as the turn unwinds.)</summary>
    private static void EndTurnActivity(Activity? activity, BetaMessage response, long billed, int newlyCleared, bool heldBack)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("gen_ai.response.id", response.ID);
        activity.SetTag("gen_ai.response.model", response.Model.Raw());
        activity.SetTag("gen_ai.usage.input_tokens", billed);
        activity.SetTag("gen_ai.usage.output_tokens", response.Usage.OutputTokens);
        activity.SetTag("gen_ai.response.finish_reasons", new[] { response.StopReason?.Raw() ?? string.Empty });
        activity.SetTag("mnemo.context.newly_cleared_tool_uses", newlyCleared);
        activity.SetTag("mnemo.context.held_back", heldBack);

        // The span is the model's call: the tools its answer calls run after it, each a span of its own.
        activity.Stop();
    }
}
