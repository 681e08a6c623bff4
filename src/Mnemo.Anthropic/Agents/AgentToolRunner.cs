using System.Text;
using System.Text.Json;
using Anthropic.Helpers.Beta;
using Anthropic.Models.Beta.Messages;

namespace Mnemo.Anthropic.Agents;

/// <summary>Runs a response's tool calls in order and adds their results to the conversation as one user message.</summary>
/// <remarks>
/// <para>Every call gets a result, whatever happens: an unknown tool, a tool's own error (<see cref="BetaToolError"/>), an
/// unexpected failure (a generic message for the model; the exception goes to the event), a call cut off by
/// <c>max_tokens</c> (answered, not run), or a run that stops part-way (cancelled, or an event handler threw: the calls not
/// run are answered so). So a conversation that stopped can go on with another run.</para>
/// <para>Not thread-safe: one turn at a time.</para>
/// </remarks>
internal sealed class AgentToolRunner
{
    private readonly IReadOnlyDictionary<string, IBetaRunnableTool> _tools;
    private readonly TimeProvider _time;
    private readonly Action<AgentEvent> _raise;

    /// <summary>Initializes a new instance of the <see cref="AgentToolRunner"/> class.</summary>
    /// <param name="tools">The tools, by name.</param>
    /// <param name="time">The clock that times each call.</param>
    /// <param name="raise">Reports each call and its result as it happens.</param>
    public AgentToolRunner(IReadOnlyDictionary<string, IBetaRunnableTool> tools, TimeProvider time, Action<AgentEvent> raise)
    {
        (_tools, _time, _raise) = (tools, time, raise);
    }

    /// <summary>Runs the calls of the response to a request, in order, and adds their results to the conversation.</summary>
    /// <param name="request">The request whose response made the calls.</param>
    /// <param name="calls">The calls, in the response's order.</param>
    /// <param name="cutId">The id of a call cut off by <c>max_tokens</c>, whose input is incomplete; <see langword="null"/> for none.</param>
    /// <param name="conversation">Where the results go.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests; the results are added even when it fires.</param>
    /// <returns>A task that completes when every call has its result.</returns>
    public async Task RunAsync(int request, IReadOnlyList<BetaToolUseBlock> calls, string? cutId, AgentConversation conversation, CancellationToken cancellationToken)
    {
        var results = new List<(string Id, JsonElement Content, bool IsError)>(calls.Count);
        try
        {
            foreach (var call in calls)
            {
                var input = JsonSerializer.SerializeToElement(call.Input);
                _raise(new AgentToolCallEvent(request, call.ID, call.Name, input));
                var started = _time.GetTimestamp();
                var (content, isError, exception) = call.ID == cutId
                    ? (JsonSerializer.SerializeToElement("Error: this call was cut off by max_tokens before its input was complete, so it was not run."), true, null)
                    : await ExecuteAsync(call, cancellationToken).ConfigureAwait(false);
                var elapsed = _time.GetElapsedTime(started);
                results.Add((call.ID, content, isError));
                _raise(new AgentToolResultEvent(request, call.ID, call.Name, TextOf(content), isError, elapsed, exception)
                {
                    MemoryCommand = MemoryCommandOf(call.Name, input),
                });
            }
        }
        catch (Exception exception)
        {
            // Cancelled, or an event handler threw: every call keeps its result, so the conversation can go on with another run.
            var reason = exception is OperationCanceledException
                ? "Error: the run was cancelled before this call ran."
                : "Error: the run stopped before this call ran.";
            foreach (var call in calls.Skip(results.Count))
            {
                results.Add((call.ID, JsonSerializer.SerializeToElement(reason), true));
            }

            conversation.Add(ToolResults(results));
            throw;
        }

        conversation.Add(ToolResults(results));
    }

    /// <summary>The memory command a call runs, when it is a call of the session's memory tool.</summary>
    private string? MemoryCommandOf(string name, JsonElement input) =>
        name == AgentSession.MemoryToolName && _tools.ContainsKey(name) &&
        input.TryGetProperty("command"u8, out var command) && command.ValueKind == JsonValueKind.String
            ? command.GetString()
            : null;

    private async Task<(JsonElement Content, bool IsError, Exception? Exception)> ExecuteAsync(BetaToolUseBlock call, CancellationToken cancellationToken)
    {
        if (!_tools.TryGetValue(call.Name, out var tool))
        {
            var names = string.Join(", ", _tools.Keys.Order(StringComparer.Ordinal));
            return (JsonSerializer.SerializeToElement(
                names.Length == 0 ? $"Error: there is no tool named '{call.Name}'; none are available." : $"Error: there is no tool named '{call.Name}'; the tools are: {names}."),
                true, null);
        }

        try
        {
            var content = await tool.ExecuteAsync(call, cancellationToken).ConfigureAwait(false);
            return (JsonSerializer.SerializeToElement(content), false, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (BetaToolError error)
        {
            return (JsonSerializer.SerializeToElement(error.Content), true, null);
        }
#pragma warning disable CA1031 // A tool's own failure becomes an error result for the model; the host gets the exception in the event.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            return (JsonSerializer.SerializeToElement($"Error: the {call.Name} tool failed unexpectedly; the details are in the host's log."), true, exception);
        }
    }

    private static JsonElement ToolResults(List<(string Id, JsonElement Content, bool IsError)> results) => AgentConversation.Json(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("role"u8, "user");
        writer.WriteStartArray("content"u8);
        foreach (var (id, content, isError) in results)
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "tool_result");
            writer.WriteString("tool_use_id"u8, id);
            writer.WritePropertyName("content"u8);
            content.WriteTo(writer);
            if (isError)
            {
                writer.WriteBoolean("is_error"u8, true);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    });

    /// <summary>The text of a tool result's content: the string, or its text blocks joined.</summary>
    private static string TextOf(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return content.GetRawText();
        }

        var text = new StringBuilder();
        foreach (var block in content.EnumerateArray())
        {
            if (block.ValueKind == JsonValueKind.Object && block.TryGetProperty("text"u8, out var part) && part.ValueKind == JsonValueKind.String)
            {
                text.Append(text.Length == 0 ? string.Empty : "\n").Append(part.GetString());
            }
        }

        return text.ToString();
    }
}
