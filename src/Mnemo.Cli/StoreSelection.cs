using System.CommandLine;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;
using Mnemo.PostgreSql;

namespace Mnemo.Cli;

/// <summary>The options that name a memory store: a folder (<c>--dir</c>) or a store in PostgreSQL (<c>--postgres</c>, <c>--store</c>).</summary>
internal sealed class StoreSelection
{
    public Option<DirectoryInfo?> Directory { get; } = new("--dir")
    {
        Description = "The folder that /memories maps to.",
    };

    public Option<string?> Postgres { get; } = new("--postgres")
    {
        Description = "An Npgsql connection string: keep the memory in PostgreSQL instead of a folder. Leave the password to PGPASSWORD.",
    };

    public Option<string> Store { get; } = new("--store")
    {
        Description = "With --postgres, the store's name in the database.",
        DefaultValueFactory = _ => "default",
    };

    public IEnumerable<Option> All => [Directory, Postgres, Store];

    /// <summary>Opens the store the options name.</summary>
    /// <param name="result">The parsed command line.</param>
    /// <param name="mustExist">Whether a folder must already exist (a verb that only reads or mends).</param>
    /// <param name="durable">Whether a folder store flushes each write.</param>
    /// <param name="history">Whether the store records history.</param>
    /// <exception cref="UsageException">Neither or both of --dir and --postgres are given.</exception>
    public IVersionedMemoryStore Open(ParseResult result, bool mustExist, bool durable = true, bool history = true)
    {
        var folder = result.GetValue(Directory);
        var postgres = result.GetValue(Postgres);
        if ((folder is null) == (postgres is null))
        {
            throw new UsageException("give the memory's place: --dir FOLDER, or --postgres CONNECTION [--store NAME].");
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
            throw new UsageException(exception.Message.Split(" (Parameter", 2)[0]);
        }
    }

    /// <summary>Where the audit log goes by default: the folder's <c>.mnemo</c>; a database store has none unless asked.</summary>
    public static string? DefaultAuditPath(IVersionedMemoryStore store) =>
        store is FileSystemMemoryStore folder ? Path.Combine(folder.MetaDirectory, "audit.jsonl") : null;
}

/// <summary>The exception for a command given arguments it cannot use; exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
