using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mnemo.Anthropic.Tests.ChatClients;

/// <summary>A small HTTP endpoint on a loopback port the system picks (Kestrel, so no port is guessed and reused), that
/// keeps every request's path and body and answers each with what <c>answer</c> says. For the parts a test cannot run:
/// another vendor's API, a telemetry collector.</summary>
internal sealed class LoopbackEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<LoopbackRequest> _requests = [];

    private LoopbackEndpoint(WebApplication app) => _app = app;

    /// <summary>Gets the address it listens on, such as <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Every request so far, in order: its path and body.</summary>
    public IReadOnlyList<(string Path, byte[] Body)> Requests => [.. Received.Select(request => (request.Path, request.Body))];

    /// <summary>Every request so far, in order, whole: its method, path, headers and body.</summary>
    public IReadOnlyList<LoopbackRequest> Received
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Starts an endpoint.</summary>
    /// <param name="answer">Given a request's path and body, the status and JSON body to answer with.</param>
    public static async Task<LoopbackEndpoint> StartAsync(Func<string, byte[], (int Status, string Body)> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var endpoint = new LoopbackEndpoint(app);
        app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            var path = context.Request.Path.Value ?? "/";
            lock (endpoint._requests)
            {
                endpoint._requests.Add(new LoopbackRequest(
                    context.Request.Method,
                    path,
                    context.Request.Headers.ToDictionary(header => header.Key, header => header.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                    body.ToArray()));
            }

            var (status, reply) = answer(path, body.ToArray());
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(reply, context.RequestAborted);
        });
        await app.StartAsync();
        endpoint.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        return endpoint;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A request a <see cref="LoopbackEndpoint"/> received.</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The path.</param>
/// <param name="Headers">The headers, by name in any case.</param>
/// <param name="Body">The body.</param>
internal sealed record LoopbackRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body);
