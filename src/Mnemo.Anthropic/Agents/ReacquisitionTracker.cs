using System.Text.Json;
using Mnemo.Context;

namespace Mnemo.Anthropic.Agents;

/// <summary>Counts what a clearing cost: a tool call whose tool and input equal a call whose result was cleared is the
/// model fetching again what it lost.</summary>
/// <remarks>Not thread-safe: events come in order from the session's one flow.</remarks>
internal sealed class ReacquisitionTracker
{
    private readonly HashSet<(string Tool, string Input)> _cleared = [];

    /// <summary>Takes in an event; returns the re-acquisition it shows, if any.</summary>
    /// <param name="agentEvent">An event of the session, in order.</param>
    /// <returns>The event to report; <see langword="null"/> when this one is none.</returns>
    public AgentReacquisitionEvent? Observe(AgentEvent agentEvent)
    {
        switch (agentEvent)
        {
            case AgentContextEditEvent edit:
                foreach (var block in edit.NewlyCleared)
                {
                    if (block.ToolName is { } tool)
                    {
                        _cleared.Add((tool, Canonical(block.Json.TryGetProperty("input"u8, out var input) ? input : default)));
                    }
                }

                return null;
            case AgentToolCallEvent call when _cleared.Contains((call.Name, Canonical(call.Input))):
                return new AgentReacquisitionEvent(call.Request, call.Id, call.Name, call.Input);
            default:
                return null;
        }
    }

    /// <summary>The input as compact JSON, so the same input matches however it was spaced.</summary>
    private static string Canonical(JsonElement input) =>
        input.ValueKind == JsonValueKind.Undefined ? "{}" : JsonSerializer.Serialize(input);
}
