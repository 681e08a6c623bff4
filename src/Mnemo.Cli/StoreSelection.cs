using System.CommandLine;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;
using Mnemo.Memory.Remote;
using Mnemo.Memory.Safety;
using Mnemo.PostgreSql;

namespace Mnemo.Cli;

/// <summary>The options that name a memory store: a folder (<c>--dir</c>) or a store in PostgreSQL (<c>--postgres</c>, <c>--store</c>).</summary>
internal sealed class StoreSelection
{
    /// <summary>Initializes the options, with the folder's option named <c>--dir</c>.</summary>
    public StoreSelection()
        : this("--dir", "The folder that /memories maps to.")
    {
    }

    /// <summary>Initializes the options, with the folder's option named as a command has it (<c>mnemo review --memory</c>).</summary>
    public StoreSelection(string folderOption, string folderDescription) =>
        Directory = new Option<DirectoryInfo?>(folderOption) { Description = folderDescription };

    public Option<DirectoryInfo?> Directory { get; }

    public Option<string?> Postgres { get; } = new("--postgres")
    {
        Description = "An Npgsql connection string: keep the memory in PostgreSQL instead of a folder. Leave the password to PGPASSWORD.",
    };

    public Option<string> Store { get; } = new("--store")
    {
        Description = "With --postgres, the store's name in the database; with --server, on the server.",
        DefaultValueFactory = _ => "default",
    };

    public Option<string?> Server { get; } = new("--server")
    {
        Description = "A memory server's address (mnemo serve): run the commands against its store --store, with the API key in MNEMO_KEY.",
    };

    public Option<string?> Key { get; } = new("--key")
    {
        Description = "With --server, the API key; MNEMO_KEY by default, which keeps it out of the process list.",
    };

    public Option<string?> AnthropicStore { get; } = new("--anthropic-store")
    {
        Description = "An Anthropic managed memory store (memstore_…, Managed Agents memory): run the commands against it, with the key in ANTHROPIC_API_KEY.",
    };

    public Option<string?> AnthropicPrefix { get; } = new("--anthropic-prefix")
    {
        Description = "With --anthropic-store, the store's folder that /memories maps to; / by default.",
    };

    public Option<string?> Safety { get; } = new("--safety")
    {
        Description = "A JSON file of what to do with each kind of finding in written text (see docs/security.md), or off; masked secrets and rejected injections by default.",
    };

    public IEnumerable<Option> All => [Directory, Postgres, Store, AnthropicStore, AnthropicPrefix];

    /// <summary>The write checks for a store: the policy from --safety (the default one without it), and for a memory folder its quarantine.</summary>
    /// <param name="result">The parsed command line, which may hold <see cref="Safety"/>.</param>
    /// <param name="folder">The memory folder, when the store is one; its quarantine is <c>.mnemo/quarantine.jsonl</c>.</param>
    /// <returns>The checks; <see langword="null"/> for --safety off.</returns>
    /// <exception cref="UsageException">The policy file cannot be read or is not a policy.</exception>
    public MemorySafety? SafetyFor(ParseResult result, string? folder)
    {
        var file = result.GetValue(Safety);
        if (file == "off")
        {
            return null;
        }

        MemorySafetyPolicy policy;
        try
        {
            policy = file is null ? new MemorySafetyPolicy() : MemorySafetyPolicy.Parse(File.ReadAllText(file));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
        {
            throw new UsageException($"--safety: {exception.Message.ReplaceLineEndings(" ")}");
        }

        return new MemorySafety
        {
            Policy = policy,
            Quarantine = folder is null ? null : new JsonLinesMemoryQuarantine(Path.Combine(folder, FileSystemMemoryStore.MetaDirectoryName, "quarantine.jsonl")),
        };
    }

    /// <summary>Opens the store for running commands, or says on standard error why not.</summary>
    /// <param name="result">The parsed command line.</param>
    /// <param name="durable">Whether a folder store flushes each write.</param>
    /// <param name="history">Whether a local store records history.</param>
    /// <returns>The exit code (0 when the store opened, 2 for bad usage, 1 for a store that cannot be opened) and the store.</returns>
    public async Task<(int ExitCode, IMemoryStore? Store)> TryOpenForCommandsAsync(ParseResult result, bool durable, bool history)
    {
        try
        {
            return (0, OpenForCommands(result, durable, history));
        }
        catch (UsageException exception)
        {
            await Console.Error.WriteLineAsync($"mnemo: {exception.Message}").ConfigureAwait(false);
            return (MemoryAdminCommands.Usage, null);
        }
        catch (Exception exception) when (exception is MemoryException or PlatformNotSupportedException)
        {
            await Console.Error.WriteLineAsync($"mnemo: cannot open the memory store: {exception.Message}").ConfigureAwait(false);
            return (1, null);
        }
    }

    /// <summary>Opens the store the options name for running commands: a folder, a database, or a memory server's store.</summary>
    /// <param name="result">The parsed command line, which may hold <see cref="Server"/>.</param>
    /// <param name="durable">Whether a folder store flushes each write.</param>
    /// <param name="history">Whether a local store records history (a server's store keeps its own).</param>
    /// <exception cref="UsageException">No place, or more than one, is given; or --server without MNEMO_KEY.</exception>
    public IMemoryStore OpenForCommands(ParseResult result, bool durable, bool history)
    {
        if (result.GetValue(AnthropicStore) is { } managed)
        {
            return OpenManaged(result, managed);
        }

        if (result.GetValue(Server) is not { } address)
        {
            if ((result.GetValue(Directory) is null) == (result.GetValue(Postgres) is null))
            {
                throw new UsageException($"give the memory's place: {Directory.Name} FOLDER, --postgres CONNECTION [--store NAME], --server URL --store NAME, or --anthropic-store memstore_….");
            }

            return Open(result, mustExist: false, durable, history);
        }

        if (!Uri.TryCreate(address, UriKind.Absolute, out var server) || server.Scheme is not ("http" or "https"))
        {
            throw new UsageException($"--server must be an http or https address, such as http://127.0.0.1:8420, not {address}.");
        }

        if (result.GetValue(Directory) is not null || result.GetValue(Postgres) is not null)
        {
            throw new UsageException($"give one place for the memory: --server, {Directory.Name} or --postgres.");
        }

        var key = result.GetValue(Key) ?? Environment.GetEnvironmentVariable("MNEMO_KEY");
        if (string.IsNullOrWhiteSpace(key))
        {
            throw new UsageException("--server needs the API key in MNEMO_KEY (`mnemo serve keys add` makes one).");
        }

        try
        {
            return new HttpMemoryStore(new HttpMemoryStoreOptions { Endpoint = server, Store = result.GetValue(Store), ApiKey = key });
        }
        catch (ArgumentException exception) when (exception.ParamName == nameof(HttpMemoryStoreOptions.Store))
        {
            throw new UsageException(StoreNeeded);
        }
    }

    private const string StoreNeeded = "--store needs the store's name, such as --store default.";

    /// <summary>Opens a managed memory store, with its own client on ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL, if set).</summary>
    private Mnemo.Anthropic.ManagedMemory.AnthropicMemoryStore OpenManaged(ParseResult result, string id)
    {
        if (result.GetValue(Directory) is not null || result.GetValue(Postgres) is not null || (result.GetValue(Server) is not null))
        {
            throw new UsageException($"give one place for the memory: --anthropic-store, --server, {Directory.Name} or --postgres.");
        }

        if (!IsManagedStoreId(id))
        {
            throw new UsageException($"--anthropic-store takes a managed memory store's id, memstore_…, not {id}.");
        }

        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY")))
        {
            throw new UsageException("--anthropic-store needs the API key in ANTHROPIC_API_KEY.");
        }

        return OpenManaged(id, result.GetValue(AnthropicPrefix) ?? "/", "--anthropic-prefix");
    }

    /// <summary>Tells whether a text is a managed memory store's id, <c>memstore_…</c>.</summary>
    public static bool IsManagedStoreId(string? id) => id is { Length: >= 10 } && id.StartsWith("memstore_", StringComparison.Ordinal);

    /// <summary>Opens a managed memory store with a client of its own (ANTHROPIC_API_KEY, and ANTHROPIC_BASE_URL if set);
    /// a folder the options refuse is bad usage, named by <paramref name="where"/>.</summary>
    public static Mnemo.Anthropic.ManagedMemory.AnthropicMemoryStore OpenManaged(string id, string prefix, string where)
    {
        try
        {
            return new Mnemo.Anthropic.ManagedMemory.AnthropicMemoryStore(new Mnemo.Anthropic.ManagedMemory.AnthropicMemoryStoreOptions
            {
                MemoryStoreId = id,
                PathPrefix = prefix,
            });
        }
        catch (ArgumentException exception)
        {
            throw new UsageException($"{where}: {exception.Message.Split(" (Parameter", 2)[0]}");
        }
    }

    /// <summary>Opens the store the options name.</summary>
    /// <param name="result">The parsed command line.</param>
    /// <param name="mustExist">Whether a folder must already exist (a verb that only reads or mends).</param>
    /// <param name="durable">Whether a folder store flushes each write.</param>
    /// <param name="history">Whether the store records history.</param>
    /// <exception cref="UsageException">Neither or both of --dir and --postgres are given.</exception>
    public IVersionedMemoryStore Open(ParseResult result, bool mustExist, bool durable = true, bool history = true)
    {
        if (result.GetValue(AnthropicStore) is { } managed)
        {
            return OpenManaged(result, managed);
        }

        var folder = result.GetValue(Directory);
        var postgres = result.GetValue(Postgres);
        if ((folder is null) == (postgres is null))
        {
            throw new UsageException($"give the memory's place: {Directory.Name} FOLDER, or --postgres CONNECTION [--store NAME].");
        }

        if (folder is not null)
        {
            if (mustExist && !folder.Exists)
            {
                throw new MemoryException($"there is no memory folder at {folder.FullName}; `mnemo memory init --dir {folder.FullName}` makes one.");
            }

            return new FileSystemMemoryStore(folder.FullName, new FileSystemMemoryStoreOptions { Durable = durable, History = history });
        }

        try
        {
            return new PostgreSqlMemoryStore(new PostgreSqlMemoryStoreOptions { ConnectionString = postgres!, Store = result.GetValue(Store)!, History = history });
        }
        catch (ArgumentException exception)
        {
            // The options name what is wrong; the driver's own text about a connection string is not for a person to read.
            throw new UsageException(exception.ParamName == nameof(PostgreSqlMemoryStoreOptions.Store)
                ? StoreNeeded
                : "--postgres is not a connection string PostgreSQL understands: use key=value pairs, such as Host=localhost;Username=mnemo;Database=mnemo.");
        }
    }

    /// <summary>Where the audit log goes by default: the folder's <c>.mnemo</c>; a database store has none unless asked.</summary>
    public static string? DefaultAuditPath(IMemoryStore store) =>
        store is FileSystemMemoryStore folder ? Path.Combine(folder.MetaDirectory, "audit.jsonl") : null;
}

/// <summary>The exception for a command given arguments it cannot use; exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
