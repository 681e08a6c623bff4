using Mnemo.Memory;
using Mnemo.Memory.Remote;
using Mnemo.Server;
using Mnemo.Tests;

namespace Mnemo.Server.Tests;

/// <summary>The ASP.NET Core sample (<c>samples/dotnet/MemoryServerApp</c>) run as the program a user runs: its own
/// endpoints, and a memory an agent reaches with <see cref="HttpMemoryStore"/> under its path.</summary>
public sealed class MemoryServerAppSampleTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task TheSample_ServesItsOwnEndpoints_AndAMemoryUnderItsPath()
    {
        var stores = _temp.Combine("stores");
        Directory.CreateDirectory(stores);
        var key = new MemoryApiKeys(Path.Combine(stores, ".keys.json")).Create(["team"], admin: false, name: "agent-1").Secret;
        using var app = MnemoProcess.StartSample("MemoryServerApp", new Dictionary<string, string>(), stores, "http://127.0.0.1:0");
        try
        {
            string? line;
            while ((line = await app.StandardOutput.ReadLineAsync(Ct)) is not null && !line.StartsWith("listening on ", StringComparison.Ordinal))
            {
            }

            if (line is null)
            {
                // It ended without listening: what it said is the reason.
                throw new InvalidOperationException(await app.StandardError.ReadToEndAsync(Ct));
            }

            var address = new Uri(line["listening on ".Length..].Split(' ')[0]);
            using var http = new HttpClient { BaseAddress = address };
            (await http.GetStringAsync("/", Ct)).ShouldStartWith("An application of its own");
            (await http.GetAsync("/me", Ct)).StatusCode.ShouldBe(System.Net.HttpStatusCode.Unauthorized);

            using var remote = new HttpMemoryStore(new HttpMemoryStoreOptions { Endpoint = new Uri(address, "/memory/"), ApiKey = key, Store = "team" });
            var tool = new MemoryTool(remote);
            (await tool.ExecuteAsync("""{"command":"create","path":"/memories/a.md","file_text":"from the sample\n"}""", Ct)).Content
                .ShouldBe("File created successfully at: /memories/a.md");
            File.ReadAllText(Path.Combine(stores, "team", "a.md")).ShouldBe("from the sample\n");
            (await http.GetStringAsync("/healthz", Ct)).ShouldBe("Healthy");
        }
        finally
        {
            app.Kill();
            await app.WaitForExitAsync(Ct);
        }
    }
}
