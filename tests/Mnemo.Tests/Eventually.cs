namespace Mnemo.Tests;

/// <summary>Waits for an event a test is waiting on, rather than for a fixed time that a busy machine may not keep to.</summary>
public static class Eventually
{
    /// <summary>How long a wait may take before the test is taken to be stuck: long, so that only a stuck test fails.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    /// <summary>Returns as soon as <paramref name="condition"/> holds; fails the test if it has not within <see cref="Limit"/>.</summary>
    /// <param name="condition">What the test waits for.</param>
    /// <param name="what">What that is, in words, for the failure message.</param>
    /// <param name="cancellationToken">The test's token.</param>
    /// <returns>A task that completes once the condition holds.</returns>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!condition())
        {
            if (TimeProvider.System.GetElapsedTime(started) > Limit)
            {
                throw new ShouldAssertException($"still waiting, after {Limit.TotalSeconds:0} s, for {what}");
            }

            await Task.Delay(10, cancellationToken);
        }
    }
}
