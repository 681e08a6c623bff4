using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Mnemo.Benchmarks;

/// <summary>
/// A load on a running memory server: CLIENTS concurrent clients, each with a file of its own, for SECONDS seconds,
/// either viewing it or editing it (a durable <c>str_replace</c> each). Prints requests a second and latencies.
/// </summary>
internal static class ServerLoad
{
    public static async Task RunAsync(string url, string key, string store, int clients, int seconds, string mode)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var endpoint = $"/v1/stores/{store}/memory";
        var body = string.Concat(Enumerable.Repeat("- the service retries 3 times before giving up\n", 40));
        for (var c = 0; c < clients; c++)
        {
            await SendAsync(http, endpoint, new { command = "create", path = $"/memories/load/c{c}.md", file_text = "token-A\n" + body });
        }

        var latencies = new List<double>[clients];
        var failures = 0;
        var stop = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(seconds);
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var own = latencies[c] = new List<double>(100_000);
            var flip = false;
            while (stop.Elapsed < deadline)
            {
                flip = !flip;
                object command = mode == "write"
                    ? new { command = "str_replace", path = $"/memories/load/c{c}.md", old_str = flip ? "token-A" : "token-B", new_str = flip ? "token-B" : "token-A" }
                    : new { command = "view", path = $"/memories/load/c{c}.md" };
                var started = Stopwatch.GetTimestamp();
                if (!await SendAsync(http, endpoint, command))
                {
                    Interlocked.Increment(ref failures);
                }

                own.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        })));
        var elapsed = stop.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{mode}: {all.Count} requests in {elapsed:0.0} s = {all.Count / elapsed:N0}/s with {clients} clients; p50 {all[all.Count / 2]:0.00} ms, p99 {all[(int)(all.Count * 0.99)]:0.00} ms; {failures} failed"));
    }

    private static async Task<bool> SendAsync(HttpClient http, string endpoint, object command)
    {
        using var content = new StringContent(JsonSerializer.Serialize(command), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(endpoint, content);
        if (!response.IsSuccessStatusCode)
        {
            return false;
        }

        using var document = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
        return !document.RootElement.GetProperty("is_error").GetBoolean();
    }
}
