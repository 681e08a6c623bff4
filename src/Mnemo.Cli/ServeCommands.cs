using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using System.CommandLine;
using System.Net;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;
using Mnemo.PostgreSql;
using Mnemo.Server;

namespace Mnemo.Cli;

/// <summary>The <c>mnemo serve</c> command: the HTTP memory server, and <c>mnemo serve keys</c> for its API keys.</summary>
internal static class ServeCommands
{
    public static Command Create()
    {
        var backend = new Option<string>("--backend") { Description = "Where stores live: fs (a folder per store), postgres, or anthropic (a folder per store in one managed memory store).", DefaultValueFactory = _ => "fs" };
        backend.AcceptOnlyFromAmong("fs", "postgres", "anthropic");
        var managed = new Option<string?>("--anthropic-store") { Description = "With --backend anthropic: the managed memory store (memstore_…), with the key in ANTHROPIC_API_KEY." };
        var root = new Option<DirectoryInfo?>("--dir") { Description = "With --backend fs: the folder that holds one folder per store." };
        var postgres = new Option<string?>("--postgres") { Description = "With --backend postgres: an Npgsql connection string (leave the password to PGPASSWORD)." };
        var keys = new Option<FileInfo?>("--keys") { Description = "The API keys file; DIR/.keys.json by default with --backend fs." };
        var port = new Option<int>("--port") { Description = "The port to listen on; 0 for any free one.", DefaultValueFactory = _ => 8420 }.AsPort();
        var address = new Option<string>("--address") { Description = "The address to listen on; keep loopback unless a TLS proxy is in front.", DefaultValueFactory = _ => "127.0.0.1" };
        var rate = new Option<int>("--rate") { Description = "Requests a second allowed to each key, on average.", DefaultValueFactory = _ => 200 };
        var jsonLogs = new Option<bool>("--json-logs") { Description = "Log each request as one JSON line on standard output." };
        var otlp = new Option<string?>("--otlp") { Description = "Send traces and metrics to this OpenTelemetry collector (OTLP over HTTP, such as http://localhost:4318); OTEL_EXPORTER_OTLP_ENDPOINT does the same." };
        var metrics = new Option<bool>("--metrics") { Description = "Serve Prometheus metrics at /metrics (no key asked: keep the port on a trusted network)." };
        var place = new StoreSelection();

        var serve = new Command("serve", "Serve memory stores over HTTP to agents on many machines, each API key scoped to its stores.")
        {
            backend, root, postgres, managed, keys, port, address, rate, jsonLogs, otlp, metrics, place.Safety,
        };
        serve.SetAction(async (result, cancellationToken) =>
        {
            try
            {
                var created = result.GetValue(backend) == "fs" && result.GetValue(root) is { Exists: false };
                var options = Backend(result.GetValue(backend)!, result.GetValue(root), result.GetValue(postgres), result.GetValue(managed));
                options.Keys = new MemoryApiKeys(KeysPath(result.GetValue(keys), result.GetValue(root), result.GetValue(backend)!));
                options.Port = result.GetValue(port);
                options.Address = IPAddress.TryParse(result.GetValue(address), out var ip) ? ip : throw new UsageException($"--address {result.GetValue(address)} is not an IP address.");
                options.RequestsPerSecond = Math.Max(1, result.GetValue(rate));
                options.Burst = options.RequestsPerSecond * 2;
                options.JsonLogs = result.GetValue(jsonLogs);
                options.ConfigureServices = Telemetry(result.GetValue(otlp));
                if (result.GetValue(metrics))
                {
                    options.ConfigureServices += AddPrometheus;
                    options.ConfigureEndpoints = MapPrometheus;
                }

                var folder = result.GetValue(backend) == "fs" ? result.GetValue(root)?.FullName : null;
                _ = place.SafetyFor(result, null); // a bad policy file stops the server before it starts
                options.SafetyFor = name => place.SafetyFor(result, folder is null ? null : Path.Combine(folder, name));
                await using var server = await MemoryServer.StartAsync(options, cancellationToken).ConfigureAwait(false);
                if (created)
                {
                    await Console.Error.WriteLineAsync($"mnemo: {result.GetValue(root)!.FullName} did not exist; it was created, with no stores yet.").ConfigureAwait(false);
                }

                var count = options.Keys.List().Count;
                await Console.Error.WriteLineAsync(
                    $"mnemo: serving memory at {server.BaseAddress} ({count} keys in {options.Keys.FilePath}); the dashboard is at {server.BaseAddress}dashboard; Ctrl+C stops.").ConfigureAwait(false);
                if (count == 0)
                {
                    var where = result.GetValue(keys) is { } file ? $"--keys {file.FullName}" : $"--dir {result.GetValue(root)?.FullName}";
                    await Console.Error.WriteLineAsync(
                        $"mnemo: there are no API keys yet, so every request gets 401; add one (the running server picks it up) with `mnemo serve keys add {where} --store NAME`.").ConfigureAwait(false);
                }
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
                await Console.Error.WriteLineAsync($"mnemo: cannot listen: {exception.Message}").ConfigureAwait(false);
                return MemoryAdminCommands.Failed;
            }
        });

        serve.Subcommands.Add(Keys(root, keys, backend));
        return serve;
    }

    private static MemoryServerOptions Backend(string backend, DirectoryInfo? root, string? postgres, string? managed)
    {
        if (backend == "anthropic")
        {
            var id = StoreSelection.IsManagedStoreId(managed)
                ? managed!
                : throw new UsageException("--backend anthropic needs --anthropic-store memstore_…, the managed memory store.");
            if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY")))
            {
                throw new UsageException("--backend anthropic needs the API key in ANTHROPIC_API_KEY.");
            }

            var client = new global::Anthropic.AnthropicClient();
            return new MemoryServerOptions
            {
                // Each of the server's stores is a folder of the managed store; the client is shared and lives as long as the server.
                OpenStore = name => new Mnemo.Anthropic.ManagedMemory.AnthropicMemoryStore(client, new Mnemo.Anthropic.ManagedMemory.AnthropicMemoryStoreOptions
                {
                    MemoryStoreId = id,
                    PathPrefix = "/" + name + "/",
                }),
                ReadinessCheck = async ct =>
                {
                    try
                    {
                        await client.Beta.MemoryStores.Retrieve(id, new global::Anthropic.Models.Beta.MemoryStores.MemoryStoreRetrieveParams(), ct).ConfigureAwait(false);
                        return true;
                    }
                    catch (Exception exception) when (exception is global::Anthropic.Exceptions.AnthropicException or HttpRequestException)
                    {
                        return false;
                    }
                },
            };
        }

        if (backend == "fs")
        {
            var folder = root?.FullName ?? throw new UsageException("--backend fs needs --dir, the folder that holds the stores.");
            Directory.CreateDirectory(folder);
            return new MemoryServerOptions
            {
                OpenStore = name => new FileSystemMemoryStore(Path.Combine(folder, name)),
                // Each store's session records beside the stores, in a folder no store name can take.
                SessionRecords = name => new Mnemo.Sessions.FolderSessionRecords(Path.Combine(folder, ".sessions", name)),
                ListStores = _ => Task.FromResult<IReadOnlyList<string>>([.. Directory.EnumerateDirectories(folder).Select(Path.GetFileName).OfType<string>()]),
                ReadinessCheck = _ => Task.FromResult(Directory.Exists(folder)),
            };
        }

        var connection = postgres ?? throw new UsageException("--backend postgres needs --postgres, the connection string.");
        return new MemoryServerOptions
        {
            OpenStore = name => new PostgreSqlMemoryStore(new PostgreSqlMemoryStoreOptions { ConnectionString = connection, Store = name }),
            SessionRecords = name => new PostgreSqlSessionRecords(new PostgreSqlMemoryStoreOptions { ConnectionString = connection, Store = name }),
            ListStores = ct => PostgreSqlMemoryStore.ListStoresAsync(connection, cancellationToken: ct),
            ReadinessCheck = ct => PostgreSqlMemoryStore.PingAsync(connection, ct),
        };
    }

    private static string KeysPath(FileInfo? keys, DirectoryInfo? root, string backend) =>
        keys?.FullName ?? (backend == "fs" && root is not null ? Path.Combine(root.FullName, ".keys.json") : throw new UsageException("give the keys file with --keys FILE."));

    /// <summary>OpenTelemetry's exporters for the server, when a collector is named: by <c>--otlp</c> (OTLP over HTTP to
    /// its <c>/v1/traces</c> and <c>/v1/metrics</c>), or by the standard <c>OTEL_EXPORTER_OTLP_*</c> variables, which the
    /// exporter reads itself.</summary>
    private static Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? Telemetry(string? address)
    {
        Uri? collector = null;
        if (address is not null && (!Uri.TryCreate(address, UriKind.Absolute, out collector) || collector.Scheme is not ("http" or "https")))
        {
            throw new UsageException($"--otlp {address}: expected the collector's http or https address, such as http://localhost:4318.");
        }

        var fromEnvironment = !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"));
        if (collector is null && !fromEnvironment)
        {
            return null;
        }

        void Exporter(OpenTelemetry.Exporter.OtlpExporterOptions exporter, string signal)
        {
            if (collector is not null)
            {
                exporter.Protocol = OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf;
                exporter.Endpoint = new Uri(collector, collector.AbsolutePath.TrimEnd('/') + "/v1/" + signal);
            }
        }

        return services => services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("mnemo-server"))
            .AddMnemoInstrumentation()
            // Each request a span, and each memory command one under it (without the request's, a command's span would
            // follow an unrecorded parent and be dropped).
            .WithTracing(tracing => tracing.AddAspNetCoreInstrumentation().AddOtlpExporter(exporter => Exporter(exporter, "traces")))
            .WithMetrics(metrics => metrics.AddOtlpExporter(exporter => Exporter(exporter, "metrics")));
    }

    /// <summary>Prometheus scraping of Mnemo's meters (<c>Mnemo.Server</c>, <c>Mnemo.Agent</c>) and ASP.NET Core's.</summary>
    internal static void AddPrometheus(Microsoft.Extensions.DependencyInjection.IServiceCollection services) =>
        services.AddOpenTelemetry().AddMnemoInstrumentation().WithMetrics(metrics => metrics.AddAspNetCoreInstrumentation().AddPrometheusExporter());

    /// <summary>Maps <c>/metrics</c>, in Prometheus's text format.</summary>
    internal static void MapPrometheus(Microsoft.AspNetCore.Routing.IEndpointRouteBuilder endpoints) => Microsoft.AspNetCore.Builder.PrometheusExporterEndpointRouteBuilderExtensions.MapPrometheusScrapingEndpoint(endpoints);

    private static Command Keys(Option<DirectoryInfo?> root, Option<FileInfo?> keysFile, Option<string> backend)
    {
        var stores = new Option<string[]>("--store") { Description = "A store the key may use; repeat for more, * for all.", Required = true, AllowMultipleArgumentsPerToken = true };
        var admin = new Option<bool>("--admin") { Description = "Let the key list stores, read history and export its stores." };
        var name = new Option<string?>("--name") { Description = "Whose key it is; the history names this as the actor." };
        var add = new Command("add", "Make a key and print it once; only its hash is kept.") { stores, admin, name, root, keysFile, backend };
        add.SetAction(result => Run(() =>
        {
            var keys = new MemoryApiKeys(KeysPath(result.GetValue(keysFile), result.GetValue(root), result.GetValue(backend)!));
            var (key, secret) = keys.Create(result.GetValue(stores)!, result.GetValue(admin), result.GetValue(name));
            Console.Out.WriteLine(secret);
            Console.Error.WriteLine($"mnemo: key {key.Id} for {string.Join(", ", key.Stores)}{(key.Admin ? " (admin)" : string.Empty)}; it is not shown again.");
        }));

        var list = new Command("list", "List the keys: id, stores, admin, created (never the keys themselves).") { root, keysFile, backend };
        list.SetAction(result => Run(() =>
        {
            var keys = new MemoryApiKeys(KeysPath(result.GetValue(keysFile), result.GetValue(root), result.GetValue(backend)!));
            foreach (var key in keys.List())
            {
                Console.Out.WriteLine($"{key.Id}  {(key.Admin ? "admin" : "-    ")}  {key.Created.UtcDateTime:yyyy-MM-dd HH:mm}Z  {string.Join(",", key.Stores)}  {key.Name}".TrimEnd());
            }
        }));

        var id = new Argument<string>("ID") { Description = "The key's id, as `list` shows it." };
        var revoke = new Command("revoke", "Remove a key; requests with it fail from then on.") { id, root, keysFile, backend };
        revoke.SetAction(result => Run(() =>
        {
            var keys = new MemoryApiKeys(KeysPath(result.GetValue(keysFile), result.GetValue(root), result.GetValue(backend)!));
            if (!keys.Revoke(result.GetValue(id)!))
            {
                throw new MemoryException($"there is no key {result.GetValue(id)}.");
            }

            Console.Out.WriteLine($"Revoked {result.GetValue(id)}.");
        }));

        return new Command("keys", "Manage the server's API keys.") { add, list, revoke };
    }

    private static int Run(Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception exception) when (exception is UsageException or ArgumentException)
        {
            Console.Error.WriteLine($"mnemo: {exception.Message.Split(" (Parameter", 2)[0]}");
            return MemoryAdminCommands.Usage;
        }
        catch (Exception exception) when (exception is MemoryException or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"mnemo: {exception.Message}");
            return MemoryAdminCommands.Failed;
        }
    }
}
