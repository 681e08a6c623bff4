using System.CommandLine;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mnemo.Memory.FileSystem;
using Mnemo.Memory.Remote;
using Mnemo.Memory.Safety;
using Mnemo.Server.Dashboard;
using Mnemo.Sessions;

namespace Mnemo.Cli;

/// <summary><c>mnemo dashboard</c>: the dashboard on this machine, over a folder of session records (and a memory folder to
/// browse) or a memory server's stores.</summary>
internal static class DashboardCommand
{
    public static Command Create()
    {
        var records = new Option<DirectoryInfo?>("--records") { Description = $"The folder of session records; {SessionRecords.DefaultFolder} by default." };
        var memory = new Option<DirectoryInfo?>("--memory") { Description = "A memory folder to browse beside the records (history, diff, restore, redact)." };
        var server = new Option<string?>("--server") { Description = "A memory server's address (mnemo serve): show its stores' records and memory, with the API key in MNEMO_KEY." };
        var stores = new Option<string[]>("--store") { Description = "With --server, a store to show (repeatable); every store the key may list by default.", AllowMultipleArgumentsPerToken = false };
        var readOnly = new Option<bool>("--read-only") { Description = "Show the memory without the restore and redact buttons." };
        var port = new Option<int>("--port") { Description = "The port to listen on; 0 for any free one.", DefaultValueFactory = _ => 8421 }.AsPort();
        var address = new Option<string>("--address") { Description = "The address to listen on; keep loopback: the page has no key of its own.", DefaultValueFactory = _ => "127.0.0.1" };
        var metrics = new Option<bool>("--metrics") { Description = "Serve Prometheus metrics at /metrics." };
        var command = new Command("dashboard", "Open the dashboard: sessions' tokens, clearings, warnings and savings, and the memory, in a browser.")
        {
            records, memory, server, stores, readOnly, port, address, metrics,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            try
            {
                var listen = IPAddress.TryParse(result.GetValue(address), out var ip) ? ip : throw new UsageException($"--address {result.GetValue(address)} is not an IP address.");
                var source = result.GetValue(server) is { } url
                    ? await ServerStoresAsync(url, result.GetValue(stores) ?? [], cancellationToken).ConfigureAwait(false)
                    : LocalStores(result.GetValue(records), result.GetValue(memory), !result.GetValue(readOnly));
                await using var app = await StartAsync(source, listen, result.GetValue(port), result.GetValue(metrics), cancellationToken).ConfigureAwait(false);
                var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
                await Console.Error.WriteLineAsync($"mnemo: dashboard at {bound}/ ({Describe(source)}); Ctrl+C stops.").ConfigureAwait(false);
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
                return 0;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return 0;
            }
            catch (UsageException exception)
            {
                await Console.Error.WriteLineAsync($"mnemo: {exception.Message}").ConfigureAwait(false);
                return MemoryAdminCommands.Usage;
            }
            catch (IOException exception)
            {
                await Console.Error.WriteLineAsync($"mnemo: {exception.Message}").ConfigureAwait(false);
                return MemoryAdminCommands.Failed;
            }
        });
        return command;
    }

    private static string Describe(IReadOnlyList<DashboardStore> stores) =>
        string.Join(", ", stores.Select(store => store.Records is FolderSessionRecords folder
            ? $"records in {folder.Root}" + (store.Memory is FileSystemMemoryStore ? " and a memory folder" : string.Empty)
            : $"store {store.Name}"));

    private static DashboardStore[] LocalStores(DirectoryInfo? records, DirectoryInfo? memory, bool admin)
    {
        if (memory is { Exists: false })
        {
            throw new UsageException($"--memory {memory.FullName}: there is no such folder.");
        }

        var folder = records?.FullName ?? Path.GetFullPath(SessionRecords.DefaultFolder);
        var store = memory is null ? null : new FileSystemMemoryStore(memory.FullName);
        return [new DashboardStore("local", new FolderSessionRecords(folder))
        {
            Memory = store,
            Quarantine = store is null ? null : new JsonLinesMemoryQuarantine(Path.Combine(store.MetaDirectory, "quarantine.jsonl")),
            CanAdminister = admin,
        }];
    }

    private static async Task<DashboardStore[]> ServerStoresAsync(string address, string[] names, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
        {
            throw new UsageException($"--server must be an http or https address, such as http://127.0.0.1:8420, not {address}.");
        }

        var key = Environment.GetEnvironmentVariable("MNEMO_KEY");
        if (string.IsNullOrWhiteSpace(key))
        {
            throw new UsageException("--server needs the API key in MNEMO_KEY (`mnemo serve keys add` makes one).");
        }

        if (names.Length == 0)
        {
            names = [.. await ListStoresAsync(endpoint, key, cancellationToken).ConfigureAwait(false)];
        }

        return [.. names.Select(name =>
        {
            var options = new HttpMemoryStoreOptions { Endpoint = endpoint, Store = name, ApiKey = key };
            return new DashboardStore(name, new HttpSessionRecords(options)) { Memory = new HttpMemoryStore(options) };
        })];
    }

    private static async Task<IReadOnlyList<string>> ListStoresAsync(Uri endpoint, string key, CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        try
        {
            using var response = await http.GetAsync(new Uri(endpoint, "/v1/stores"), cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new UsageException($"the server would not list its stores for this key ({(int)response.StatusCode}); name them with --store.");
            }

            using var document = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            return [.. document.RootElement.GetProperty("stores").EnumerateArray().Select(store => store.GetString()!)];
        }
        catch (HttpRequestException)
        {
            throw new IOException($"the memory server at {endpoint} could not be reached.");
        }
    }

    /// <summary>Starts the dashboard's web host on the address and port.</summary>
    internal static async Task<WebApplication> StartAsync(IReadOnlyList<DashboardStore> stores, IPAddress address, int port, bool metrics, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Listen(address, port);
            kestrel.AddServerHeader = false;
        });
        if (metrics)
        {
            ServeCommands.AddPrometheus(builder.Services);
        }

        var app = builder.Build();
        if (IPAddress.IsLoopback(address))
        {
            // No key guards this page, so only this machine's names for it are answered: a site that points a name of
            // its own at 127.0.0.1 (DNS rebinding) gets 400, not the records or the memory.
            app.Use((context, next) =>
            {
                if (context.Request.Host.Host is not ("127.0.0.1" or "localhost" or "[::1]" or "::1"))
                {
                    context.Response.StatusCode = 400;
                    return context.Response.WriteAsync("mnemo dashboard answers http://127.0.0.1 and http://localhost only.\n", context.RequestAborted);
                }

                return next(context);
            });
        }

        app.MapMnemoDashboard("/", (_, _) => ValueTask.FromResult(stores), authorizationPolicy: null);
        if (metrics)
        {
            ServeCommands.MapPrometheus(app);
        }

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException exception)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"cannot listen on {address}:{port}: {exception.Message}", exception);
        }

        return app;
    }
}
