using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Mnemo.Mcp;
using Mnemo.Memory;
using Mnemo.Memory.Safety;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Benchmarks;

/// <summary>
/// A <c>view</c> of a 2 KB file through the MCP server (the SDK's client and server over in-process pipes, JSON-RPC both
/// ways) against the same command on the memory tool directly: what MCP adds to a call.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 15)]
public class McpServerBenchmarks
{
    private static readonly Dictionary<string, object?> View = new() { ["command"] = "view", ["path"] = "/memories/note.md" };

    private string _directory = null!;
    private FileSystemMemoryStore _store = null!;
    private IMemoryTool _tool = null!;
    private McpClient _client = null!;
    private CancellationTokenSource _stop = null!;
    private Task _serving = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _directory = Directory.CreateTempSubdirectory("mnemo-bench-").FullName;
        File.WriteAllText(Path.Combine(_directory, "note.md"), string.Concat(Enumerable.Repeat("- the service retries 3 times before giving up\n", 40)));
        _store = new FileSystemMemoryStore(_directory);
        _tool = new MemoryTool(_store).AsBuilder().UseScreening().Build();
        var toServer = new Pipe();
        var toClient = new Pipe();
        var server = new MemoryMcpServer(_store, new MemoryMcpServerOptions { PollInterval = null });
        _stop = new CancellationTokenSource();
        _serving = server.RunAsync(new StreamServerTransport(toServer.Reader.AsStream(), toClient.Writer.AsStream(), "mnemo"), _stop.Token);
        _client = await McpClient.CreateAsync(new StreamClientTransport(toServer.Writer.AsStream(), toClient.Reader.AsStream()));
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _client.DisposeAsync();
        await _stop.CancelAsync();
        await _serving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _store.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "memory tool: view")]
    public async Task<string> ToolView() => (await _tool.ExecuteAsync(new ViewMemoryCommand("/memories/note.md"))).Content;

    [Benchmark(Description = "MCP tools/call: view (SDK client and server, in-process pipes)")]
    public async Task<string> McpView() => ((TextContentBlock)(await _client.CallToolAsync("memory", View)).Content[0]).Text;
}
