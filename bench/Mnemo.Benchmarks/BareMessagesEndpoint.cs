using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Mnemo.Benchmarks;

/// <summary>
/// The floor beneath anything that answers /v1/messages: a Kestrel endpoint on loopback that reads the body and answers
/// one fixed message, with no parsing or checks at all.
/// </summary>
public sealed class BareMessagesEndpoint : IAsyncDisposable
{
    private const string Reply =
        """{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Noted."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":2}}""";

    private readonly WebApplication _app;

    private BareMessagesEndpoint(WebApplication app) => _app = app;

    /// <summary>The address it listens on, without a trailing slash.</summary>
    public string BaseAddress => _app.Urls.First().TrimEnd('/');

    public static async Task<BareMessagesEndpoint> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(async context =>
        {
            using var sink = new MemoryStream();
            await context.Request.Body.CopyToAsync(sink);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(Reply);
        });
        await app.StartAsync();
        return new BareMessagesEndpoint(app);
    }

    /// <summary>
    /// A tool loop of about <paramref name="count"/> messages as API JSON: a user request, then read_file calls whose
    /// results hold about 700 characters of code, each followed by "Read the next.".
    /// </summary>
    public static List<string> ToolLoop(int count)
    {
        var result = string.Concat(Enumerable.Repeat("    query = build_query(user_id, 42)  # session lookup\n", 12)).Replace("\n", "\\n", StringComparison.Ordinal);
        var messages = new List<string> { """{"role":"user","content":"Read the modules."}""" };
        for (var i = 0; messages.Count < count; i++)
        {
            messages.Add($$$"""{"role":"assistant","content":[{"type":"tool_use","id":"toolu_{{{i}}}","name":"read_file","input":{"path":"src/m{{{i}}}.py"}}]}""");
            messages.Add($$$"""{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_{{{i}}}","content":"{{{result}}}"},{"type":"text","text":"Read the next."}]}""");
        }

        return messages;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
