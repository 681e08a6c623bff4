using System.Net.Http.Headers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Mnemo.Memory;
using Mnemo.Memory.Safety;
using Mnemo.Memory.FileSystem;
using Mnemo.Memory.Remote;
using Mnemo.Server;

namespace Mnemo.Benchmarks;

/// <summary>
/// <see cref="HttpMemoryStore"/> against the bare request beneath it: one <c>POST /ops</c> read of a 2 KB file, over
/// loopback, to a memory server over a folder store in the same process; and a durable edit through the memory tool.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 15)]
public class HttpMemoryStoreBenchmarks
{
    private string _directory = null!;
    private MemoryServer _server = null!;
    private HttpClient _http = null!;
    private HttpMemoryStore _store = null!;
    private IMemoryTool _tool = null!;
    private MemoryPath _path = null!;
    private Uri _operations = null!;
    private string _key = null!;
    private bool _flip;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _directory = Directory.CreateTempSubdirectory("mnemo-bench-").FullName;
        var keys = new MemoryApiKeys(Path.Combine(_directory, "keys.json"));
        _key = keys.Create(["bench"], admin: false).Secret;
        _server = await MemoryServer.StartAsync(new MemoryServerOptions
        {
            Port = 0,
            Keys = keys,
            OpenStore = name => new FileSystemMemoryStore(Path.Combine(_directory, name)),
            RequestsPerSecond = 1_000_000,
            Burst = 1_000_000,
        });
        _http = new HttpClient();
        _operations = new Uri(_server.BaseAddress, "/v1/stores/bench/ops");
        _store = new HttpMemoryStore(new HttpMemoryStoreOptions { Endpoint = _server.BaseAddress, Store = "bench", ApiKey = _key });
        _tool = new MemoryTool(_store).AsBuilder().UseScreening().Build();
        _path = MemoryPath.FromSegments(["note.md"]);
        var body = string.Concat(Enumerable.Repeat("- the service retries 3 times before giving up\n", 40));
        await _store.CreateFileAsync(_path, Encoding.UTF8.GetBytes("token-A\n" + body));
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _store.Dispose();
        _http.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "bare: POST /ops read with HttpClient")]
    public async Task<byte[]> BareRead()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _operations)
        {
            Content = new StringContent("{\"op\":\"read\",\"path\":\"/memories/note.md\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _key);
        using var response = await _http.SendAsync(request);
        return await response.Content.ReadAsByteArrayAsync();
    }

    [Benchmark(Description = "HttpMemoryStore.ReadAsync")]
    public async Task<MemoryItem?> StoreRead() => await _store.ReadAsync(_path);

    [Benchmark(Description = "memory tool: durable str_replace over HTTP")]
    public async Task<MemoryToolResult> ToolEdit()
    {
        _flip = !_flip;
        return await _tool.ExecuteAsync(new StrReplaceMemoryCommand("/memories/note.md", _flip ? "token-A" : "token-B", _flip ? "token-B" : "token-A"));
    }
}
