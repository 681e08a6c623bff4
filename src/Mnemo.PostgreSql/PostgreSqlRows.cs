using System.Globalization;
using Mnemo.Memory;
using Npgsql;
using NpgsqlTypes;

namespace Mnemo.PostgreSql;

/// <summary>How a store's rows are keyed, read and queried: the shapes every part of the PostgreSQL store shares.</summary>
internal static class PostgreSqlRows
{
    /// <summary>The kind of a file's row.</summary>
    public const int FileKind = 0;

    /// <summary>The kind of a folder's row.</summary>
    public const int DirectoryKind = 1;

    /// <summary>The SQL condition for the rows strictly below a folder, as one range of the byte-ordered key.</summary>
    /// <remarks>'0' is the character after '/', so every key that starts with "folder/" sorts in ["folder/", "folder0").</remarks>
    public static string Descendants(string parameter) =>
        $"({parameter} = '' or (path >= {parameter} || '/' and path < {parameter} || '0'))";

    /// <summary>A path's key: its names below <c>/memories</c>, joined by slashes (the root is empty).</summary>
    public static string Key(MemoryPath path) => string.Join('/', path.Segments);

    /// <summary>A row version as the store's version.</summary>
    public static MemoryVersion Version(long version) => new(version.ToString(CultureInfo.InvariantCulture));

    /// <summary>A 64-bit hash of a text that is the same in every process, for advisory locks.</summary>
    public static long StableHash(string text)
    {
        // FNV-1a over UTF-16: the same store maps to the same advisory lock in every process.
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return unchecked((long)hash);
    }

    /// <summary>Builds a folder's listing, down to <paramref name="depth"/> levels, from its rows.</summary>
    public static List<MemoryEntry> Tree(List<(string[] Segments, short Kind, long Size)> rows, string[] prefix, int depth)
    {
        var level = prefix.Length;
        var entries = new List<MemoryEntry>();
        foreach (var row in rows)
        {
            if (row.Segments.Length != level + 1 || !row.Segments.AsSpan(0, level).SequenceEqual(prefix))
            {
                continue;
            }

            var name = row.Segments[level];
            if (row.Kind == FileKind)
            {
                entries.Add(new MemoryEntry(name, MemoryEntryKind.File, row.Size));
            }
            else
            {
                var children = depth > 1 ? Tree(rows, row.Segments, depth - 1) : null;
                entries.Add(new MemoryEntry(name, MemoryEntryKind.Directory, 0, children));
            }
        }

        return entries;
    }

    /// <summary>Makes a command whose first parameter, <c>$1</c>, is the store's name, and the rest those given.</summary>
    public static NpgsqlCommand Command(NpgsqlConnection connection, string store, string sql, params object[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = store, NpgsqlDbType = NpgsqlDbType.Text });
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter is byte[] bytes
                ? new NpgsqlParameter { Value = bytes, NpgsqlDbType = NpgsqlDbType.Bytea }
                : new NpgsqlParameter { Value = parameter });
        }

        return command;
    }

    /// <summary>Reads an item from a row's kind, content and version, at <paramref name="first"/> and the two columns after it.</summary>
    public static MemoryItem ItemOf(NpgsqlDataReader reader, int first) => reader.GetInt16(first) == DirectoryKind
        ? MemoryItem.Directory
        : MemoryItem.File(reader.GetFieldValue<byte[]>(first + 1), Version(reader.GetInt64(first + 2)));
}
