using System.Text.Json.Nodes;
using ModelContextProtocol.Protocol;

namespace Mnemo.Mcp;

/// <summary>Makes one client's memory commands take effect in the order the client sent them.</summary>
/// <remarks>
/// The SDK hands each request to its handler on a task of its own, so two calls sent back to back can run in either
/// order. The transport, which reads requests in order, takes a ticket for each memory command as it reads it; the
/// handler waits for its ticket's turn. A write waits for every command read before it; a read waits only for the
/// writes read before it, so reads still run alongside each other. A ticket ends when its handler finishes or when
/// its answer is sent, whichever comes first, so a request the SDK answers without calling the handler holds nothing up.
/// </remarks>
internal sealed class CommandOrder
{
    private readonly Lock _gate = new();
    private readonly Dictionary<RequestId, (Task Prior, TaskCompletionSource Done)> _tickets = [];
    private Task _lastWrite = Task.CompletedTask;
    private readonly List<Task> _readsSinceWrite = [];

    /// <summary>Whether a request is a memory command, and if so whether it only reads.</summary>
    /// <param name="request">The request as read.</param>
    /// <returns><see langword="null"/> for a request that is not a memory command; <see langword="true"/> for a read.</returns>
    public static bool? IsRead(JsonRpcRequest request) => request.Method switch
    {
        RequestMethods.ToolsCall => request.Params is JsonObject call && call["arguments"] is JsonObject arguments &&
            arguments["command"] is JsonValue command && command.TryGetValue<string>(out var name) && name == "view",
        RequestMethods.ResourcesRead => true,
        _ => null,
    };

    /// <summary>Takes a ticket for a request just read, behind every command read before it that it must wait for.</summary>
    /// <param name="id">The request's id.</param>
    /// <param name="read">Whether the command only reads.</param>
    public void Enter(RequestId id, bool read)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_tickets.ContainsKey(id))
            {
                return; // a reused id: the first keeps its place, and the second runs when it comes
            }

            Task prior;
            if (read)
            {
                prior = _lastWrite;
                _readsSinceWrite.Add(done.Task);
            }
            else
            {
                prior = _readsSinceWrite.Count == 0 ? _lastWrite : Task.WhenAll([_lastWrite, .. _readsSinceWrite]);
                _readsSinceWrite.Clear();
                _lastWrite = done.Task;
            }

            _tickets[id] = (prior, done);
        }
    }

    /// <summary>Waits until every command this one must follow has taken effect.</summary>
    /// <param name="id">The request's id.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes at the request's turn; at once for a request that holds no ticket.</returns>
    public Task WaitTurnAsync(RequestId id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _tickets.TryGetValue(id, out var ticket) ? ticket.Prior.WaitAsync(cancellationToken) : Task.CompletedTask;
        }
    }

    /// <summary>Ends a request's ticket: once the commands before it are done too, the commands behind it may go.</summary>
    /// <param name="id">The request's id.</param>
    /// <remarks>A request answered before its turn (an unknown tool, a cancelled call) still holds its place until then,
    /// so the order of the commands around it is kept.</remarks>
    public void Complete(RequestId id)
    {
        (Task Prior, TaskCompletionSource Done) ticket;
        lock (_gate)
        {
            if (!_tickets.Remove(id, out ticket))
            {
                return;
            }
        }

        if (ticket.Prior.IsCompleted)
        {
            ticket.Done.TrySetResult();
        }
        else
        {
            ticket.Prior.ContinueWith(static (_, done) => ((TaskCompletionSource)done!).TrySetResult(), ticket.Done,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}
