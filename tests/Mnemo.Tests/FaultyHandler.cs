using System.Diagnostics;

namespace Mnemo.Tests;

/// <summary>Sends requests for real, then on every n-th write loses the answer or holds it past the client's timeout.</summary>
public sealed class FaultyHandler(int every, FaultyHandler.Fault fault) : DelegatingHandler(new SocketsHttpHandler())
{
    private int _writes;
    private int _faults;

    public enum Fault
    {
        LoseAnswer,
        AnswerLate,
    }

    public int Faults => Volatile.Read(ref _faults);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (!request.Headers.Contains("Idempotency-Key") || Interlocked.Increment(ref _writes) % every != 0)
        {
            return response;
        }

        // The server has applied the write by now: what fails is only the way back.
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        response.Dispose();
        Interlocked.Increment(ref _faults);
        if (fault == Fault.LoseAnswer)
        {
            throw new HttpRequestException("The connection was reset.");
        }

        await Task.Delay(Timeout.Infinite, cancellationToken);
        throw new UnreachableException();
    }
}
