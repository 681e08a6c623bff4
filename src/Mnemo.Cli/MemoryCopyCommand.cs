using System.CommandLine;
using System.Globalization;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;
using Mnemo.Memory.Remote;
using Mnemo.PostgreSql;
using static Mnemo.Cli.AdminOutput;

namespace Mnemo.Cli;

/// <summary><c>mnemo memory copy FROM TO</c>: every file of one store into another, of any backend.</summary>
internal static class MemoryCopyCommand
{
    public const string Spec = "a memory folder, postgres:STORE (with --postgres), a memory server's store as http(s)://HOST/STORE (key in MNEMO_KEY), or memstore_…[:/FOLDER/] (key in ANTHROPIC_API_KEY)";

    public static Command Create()
    {
        var from = new Argument<string>("FROM") { Description = "The store to copy from: " + Spec + "." };
        var to = new Argument<string>("TO") { Description = "The store to copy into, in the same forms; a folder is made if missing." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would change, and write nothing." };
        var prune = new Option<bool>("--prune") { Description = "Also delete the files TO has and FROM does not (each delete recorded where TO keeps history)." };
        var postgres = new Option<string?>("--postgres") { Description = "The Npgsql connection string for postgres:STORE (leave the password to PGPASSWORD)." };
        var actor = new Option<string?>("--actor") { Description = "Who the target's history names for the copy; the user's login name by default." };
        var copy = new Command("copy", "Copy every file of one memory store into another (folder, PostgreSQL, memory server, Anthropic managed store); what would change first, then the copy. Running it again changes nothing.")
        {
            from, to, dryRun, prune, postgres, actor,
        };
        copy.SetAction(async (result, cancellationToken) =>
        {
            IMemoryStore? source = null;
            IMemoryStore? target = null;
            try
            {
                var fromSpec = result.GetValue(from)!;
                var toSpec = result.GetValue(to)!;
                source = Open(fromSpec, result.GetValue(postgres), mustExist: true);
                target = Open(toSpec, result.GetValue(postgres), mustExist: false);
                var context = new MemoryWriteContext(result.GetValue(actor) is { Length: > 0 } named ? named : Environment.UserName, $"copy from {fromSpec}");
                var plan = await MemoryStoreCopy.PlanAsync(source, target, result.GetValue(prune), cancellationToken).ConfigureAwait(false);
                Print(plan, wouldBe: true);
                if (result.GetValue(dryRun) || plan.All(item => item.Action is MemoryCopyAction.Same or MemoryCopyAction.Skip))
                {
                    return 0;
                }

                var done = await MemoryStoreCopy.CopyAsync(source, target, result.GetValue(prune), context, cancellationToken).ConfigureAwait(false);
                Print(done, wouldBe: false);
                return done.Any(item => item.Action == MemoryCopyAction.Skip) ? MemoryAdminCommands.Failed : 0;
            }
            catch (UsageException exception)
            {
                await Console.Error.WriteLineAsync($"mnemo: {exception.Message}").ConfigureAwait(false);
                return MemoryAdminCommands.Usage;
            }
            catch (Exception exception) when (exception is MemoryException or IOException or UnauthorizedAccessException or PlatformNotSupportedException)
            {
                await Console.Error.WriteLineAsync($"mnemo: {OneLine(exception.Message)}").ConfigureAwait(false);
                return MemoryAdminCommands.Failed;
            }
            finally
            {
                (source as IDisposable)?.Dispose();
                (target as IDisposable)?.Dispose();
            }
        });
        return copy;
    }

    /// <summary>Prints a plan (what would change) or what was done, a file a line and a summary; the files left as they
    /// are only counted.</summary>
    private static void Print(IReadOnlyList<MemoryCopyItem> items, bool wouldBe)
    {
        foreach (var item in items.Where(item => item.Action != MemoryCopyAction.Same))
        {
            var verb = item.Action.ToString().ToLowerInvariant();
            var line = item.Action == MemoryCopyAction.Skip
                ? $"skip    {item.Path.Normalized}: {OneLine(item.Reason ?? "it cannot be copied")}"
                : $"{(wouldBe ? "would " : string.Empty)}{verb,-7} {item.Path.Normalized} ({Size(item.Bytes)})";
            Console.Out.WriteLine(line);
        }

        int Count(MemoryCopyAction action) => items.Count(item => item.Action == action);
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"{Count(MemoryCopyAction.Create)} to create, {Count(MemoryCopyAction.Update)} to update, {Count(MemoryCopyAction.Delete)} to delete, {Count(MemoryCopyAction.Same)} the same, {Count(MemoryCopyAction.Skip)} skipped.");
        Console.Out.WriteLine(wouldBe
            ? items.All(item => item.Action is MemoryCopyAction.Same or MemoryCopyAction.Skip) ? $"Nothing to change: {summary}" : $"Plan: {summary}"
            : $"Copied: {summary.Replace(" to create", " created", StringComparison.Ordinal).Replace(" to update", " updated", StringComparison.Ordinal).Replace(" to delete", " deleted", StringComparison.Ordinal)}");
    }

    /// <summary>Opens a store from its form on the command line.</summary>
    /// <exception cref="UsageException">The form is not one of the forms, or a key or connection string it needs is missing.</exception>
    internal static IMemoryStore Open(string spec, string? postgres, bool mustExist)
    {
        if (spec.StartsWith("memstore_", StringComparison.Ordinal))
        {
            var (id, prefix) = spec.Split(':', 2) is [var store, var folder] ? (store, folder) : (spec, "/");
            if (!StoreSelection.IsManagedStoreId(id))
            {
                throw new UsageException($"{spec}: a managed memory store is memstore_… with its id, not {id}.");
            }

            if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY")))
            {
                throw new UsageException($"{spec} is a managed memory store: give the API key in ANTHROPIC_API_KEY.");
            }

            return StoreSelection.OpenManaged(id, prefix, spec);
        }

        if (spec.StartsWith("postgres:", StringComparison.Ordinal))
        {
            var name = spec["postgres:".Length..];
            if (string.IsNullOrWhiteSpace(postgres))
            {
                throw new UsageException($"{spec} needs the database: --postgres CONNECTION.");
            }

            try
            {
                return new PostgreSqlMemoryStore(new PostgreSqlMemoryStoreOptions { ConnectionString = postgres, Store = name });
            }
            catch (ArgumentException)
            {
                throw new UsageException($"{spec}: --postgres must be a connection string and the store a name, such as postgres:team.");
            }
        }

        if (spec.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || spec.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(spec, UriKind.Absolute, out var uri) || uri.AbsolutePath.Trim('/') is not { Length: > 0 } path)
            {
                throw new UsageException($"{spec}: a memory server's store is its address and the store's name, such as http://127.0.0.1:8420/team.");
            }

            var key = Environment.GetEnvironmentVariable("MNEMO_KEY");
            if (string.IsNullOrWhiteSpace(key))
            {
                throw new UsageException($"{spec} is a memory server's store: give the API key in MNEMO_KEY.");
            }

            var store = path[(path.LastIndexOf('/') + 1)..];
            var endpoint = new Uri(uri, "/" + path[..(path.Length - store.Length)]);
            return new HttpMemoryStore(new HttpMemoryStoreOptions { Endpoint = endpoint, Store = store, ApiKey = key });
        }

        var full = Path.GetFullPath(spec);
        if (mustExist && !Directory.Exists(full))
        {
            throw new UsageException($"there is no memory folder at {full}.");
        }

        return new FileSystemMemoryStore(full);
    }
}
