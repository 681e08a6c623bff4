namespace Mnemo.Memory;

/// <summary>Runs work that arrives concurrently in groups: whatever arrives while one group runs goes together in the next.</summary>
/// <remarks>
/// <para>The stores use it to share one lock, one commit and one flush among concurrent writers.</para>
/// <para>Nobody waits to fill a group: a lone caller's group is itself, started at once. Under load the groups grow by
/// themselves, to as many as arrived during the last round trip (up to the limits), which is how a database's group
/// commit works. The runner completes every member's <see cref="Grouped{TItem, TResult}.Done"/> and never throws.</para>
/// </remarks>
/// <typeparam name="TItem">What each caller asks.</typeparam>
/// <typeparam name="TResult">What each caller gets.</typeparam>
internal sealed class GroupCommit<TItem, TResult>(Func<List<Grouped<TItem, TResult>>, Task> run, int maxCount, long maxWeight)
{
    private readonly List<Grouped<TItem, TResult>> _queue = [];
    private bool _running;

    /// <summary>Queues one item and waits for its result.</summary>
    /// <param name="item">The item.</param>
    /// <param name="weight">What it counts towards the group's weight limit (its bytes).</param>
    /// <param name="cancellationToken">Stops the wait; an item already sent may still take effect.</param>
    /// <returns>The item's result.</returns>
    /// <remarks>The caller that finds no group running runs the first one itself, so a lone caller pays no hand-off to
    /// another thread; whatever queued meanwhile is run by a task of its own.</remarks>
    public async Task<TResult> RunAsync(TItem item, long weight, CancellationToken cancellationToken)
    {
        var entry = new Grouped<TItem, TResult>(item, weight, cancellationToken);
        bool lead;
        lock (_queue)
        {
            _queue.Add(entry);
            lead = !_running;
            _running = true;
        }

        if (lead)
        {
            await RunGroupAsync(TakeGroup()!).ConfigureAwait(false);
            if (TakeGroup() is { } next)
            {
                _ = Task.Run(() => DrainAsync(next), CancellationToken.None);
            }
        }

        return await entry.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task DrainAsync(List<Grouped<TItem, TResult>> group)
    {
        for (var next = group; next is not null; next = TakeGroup())
        {
            await RunGroupAsync(next).ConfigureAwait(false);
        }
    }

    /// <summary>Takes the next group off the queue; <see langword="null"/>, and no group running, when the queue is empty.</summary>
    private List<Grouped<TItem, TResult>>? TakeGroup()
    {
        lock (_queue)
        {
            if (_queue.Count == 0)
            {
                _running = false;
                return null;
            }

            var take = 0;
            for (long weight = 0; take < _queue.Count && take < maxCount && (take == 0 || weight + _queue[take].Weight <= maxWeight); take++)
            {
                weight += _queue[take].Weight;
            }

            var group = _queue.GetRange(0, take);
            _queue.RemoveRange(0, take);
            return group;
        }
    }

    private async Task RunGroupAsync(List<Grouped<TItem, TResult>> group)
    {
        group.RemoveAll(entry => entry.CancellationToken.IsCancellationRequested && entry.Done.TrySetCanceled(entry.CancellationToken));
        if (group.Count == 0)
        {
            return;
        }

        try
        {
            await run(group).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            group.ForEach(entry => entry.Done.TrySetException(exception));
        }
    }
}

/// <summary>Represents one caller's item in a <see cref="GroupCommit{TItem, TResult}"/>.</summary>
/// <typeparam name="TItem">What the caller asks.</typeparam>
/// <typeparam name="TResult">What the caller gets.</typeparam>
internal sealed class Grouped<TItem, TResult>(TItem item, long weight, CancellationToken cancellationToken)
{
    public TItem Item { get; } = item;

    public long Weight { get; } = weight;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public TaskCompletionSource<TResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
