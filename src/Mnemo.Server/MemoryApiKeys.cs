using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mnemo.Server;

/// <summary>Represents the API keys of a memory server, kept hashed in a JSON file, each scoped to named stores.</summary>
/// <remarks>
/// <para>A key reads <c>mnemo_{id}_{secret}</c>. Only its id and the SHA-256 of the whole key are stored: a key is 32
/// random bytes, so a plain hash is enough, and a stolen file gives no key away. The secret is shown once, when made.</para>
/// <para>The file is replaced in one step (a temp file renamed over it, mode 0600). A server notices a changed file at
/// the next request and reads it again, so keys added or revoked with <c>mnemo serve keys</c> apply without a restart.
/// The class is thread-safe.</para>
/// </remarks>
public sealed class MemoryApiKeys
{
    private const string Prefix = "mnemo_";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private Dictionary<string, MemoryApiKey> _keys = new(StringComparer.Ordinal);
    private DateTime _loadedStamp = DateTime.MinValue;
    private long _loadedLength = -1;

    /// <summary>Initializes a new instance of the <see cref="MemoryApiKeys"/> class over a file, which need not exist yet.</summary>
    /// <param name="path">The keys file.</param>
    /// <param name="timeProvider">Where creation times come from.</param>
    public MemoryApiKeys(string path, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FilePath = Path.GetFullPath(path);
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Gets the keys file's full path.</summary>
    public string FilePath { get; }

    /// <summary>Lists the keys (never their secrets).</summary>
    /// <returns>The keys, oldest first.</returns>
    public IReadOnlyList<MemoryApiKey> List()
    {
        lock (_gate)
        {
            Reload();
            return [.. _keys.Values.OrderBy(key => key.Created)];
        }
    }

    /// <summary>Makes a key and saves it.</summary>
    /// <param name="stores">The stores it may use; <c>*</c> for every store.</param>
    /// <param name="admin">Whether it may use the admin endpoints (list stores, read history, export) of its stores.</param>
    /// <param name="name">A note for people: whose key it is.</param>
    /// <returns>The key's record and the key itself, which is not kept and cannot be shown again.</returns>
    public (MemoryApiKey Key, string Secret) Create(IReadOnlyList<string> stores, bool admin, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(stores);
        if (stores.Count == 0)
        {
            throw new ArgumentException("A key needs at least one store (or * for all).", nameof(stores));
        }

        foreach (var store in stores)
        {
            if (store != "*" && !MemoryServer.IsValidStoreName(store))
            {
                throw new ArgumentException($"{store} is not a store name: use 1 to 63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.", nameof(stores));
            }
        }

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = $"{Prefix}{id}_{Base64Url(RandomNumberGenerator.GetBytes(32))}";
        var key = new MemoryApiKey(id, Hash(secret), [.. stores], admin, _time.GetUtcNow(), name);
        lock (_gate)
        {
            Reload();
            var keys = new Dictionary<string, MemoryApiKey>(_keys, StringComparer.Ordinal) { [id] = key };
            Save(keys);
        }

        return (key, secret);
    }

    /// <summary>Removes a key; requests with it fail from then on.</summary>
    /// <param name="id">The key's id.</param>
    /// <returns><see langword="true"/> when a key of that id existed.</returns>
    public bool Revoke(string id)
    {
        lock (_gate)
        {
            Reload();
            if (!_keys.ContainsKey(id))
            {
                return false;
            }

            var keys = new Dictionary<string, MemoryApiKey>(_keys, StringComparer.Ordinal);
            keys.Remove(id);
            Save(keys);
            return true;
        }
    }

    /// <summary>Finds the key a request presents.</summary>
    /// <param name="presented">The key as sent.</param>
    /// <returns>The key's record, or <see langword="null"/> when it is not a valid key.</returns>
    public MemoryApiKey? Authenticate(string? presented)
    {
        if (presented is null || !presented.StartsWith(Prefix, StringComparison.Ordinal) || presented.Length > 200)
        {
            return null;
        }

        var end = presented.IndexOf('_', Prefix.Length);
        if (end < 0)
        {
            return null;
        }

        MemoryApiKey? key;
        lock (_gate)
        {
            Reload();
            _keys.TryGetValue(presented[Prefix.Length..end], out key);
        }

        return key is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(presented)), Encoding.ASCII.GetBytes(key.Hash)) ? key : null;
    }

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private void Reload()
    {
        var info = new FileInfo(FilePath);
        if (!info.Exists)
        {
            (_keys, _loadedStamp, _loadedLength) = (new Dictionary<string, MemoryApiKey>(StringComparer.Ordinal), DateTime.MinValue, -1);
            return;
        }

        if (info.LastWriteTimeUtc == _loadedStamp && info.Length == _loadedLength)
        {
            return;
        }

        try
        {
            var file = JsonSerializer.Deserialize<KeysFile>(File.ReadAllBytes(FilePath), Json) ?? new KeysFile([]);
            _keys = file.Keys.ToDictionary(key => key.Id, StringComparer.Ordinal);
            (_loadedStamp, _loadedLength) = (info.LastWriteTimeUtc, info.Length);
        }
        catch (JsonException exception)
        {
            throw new InvalidDataException($"The keys file is damaged: {exception.Message}", exception);
        }
    }

    private void Save(Dictionary<string, MemoryApiKey> keys)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        var temp = $"{FilePath}.{Environment.ProcessId}.tmp";
        var create = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // the hashes are still nobody else's business
        }

        using (var stream = new FileStream(temp, create))
        {
            JsonSerializer.Serialize(stream, new KeysFile([.. keys.Values.OrderBy(key => key.Created)]), Json);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, FilePath, overwrite: true);
        _keys = keys;
        var info = new FileInfo(FilePath);
        (_loadedStamp, _loadedLength) = (info.LastWriteTimeUtc, info.Length);
    }

    private sealed record KeysFile(IReadOnlyList<MemoryApiKey> Keys);
}

/// <summary>Represents an API key of a memory server, as kept: its id, its hash and what it may do.</summary>
/// <param name="Id">The key's id, the part of the key between <c>mnemo_</c> and the secret.</param>
/// <param name="Hash">The SHA-256 of the whole key, in lowercase hex.</param>
/// <param name="Stores">The stores it may use; <c>*</c> for every store.</param>
/// <param name="Admin">Whether it may use the admin endpoints of its stores.</param>
/// <param name="Created">When it was made.</param>
/// <param name="Name">A note for people: whose key it is.</param>
public sealed record MemoryApiKey(
    string Id, string Hash, IReadOnlyList<string> Stores, bool Admin, DateTimeOffset Created, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Name = null)
{
    /// <summary>Tells whether the key may use a store.</summary>
    /// <param name="store">The store's name.</param>
    /// <returns><see langword="true"/> when the key names the store or <c>*</c>.</returns>
    public bool MayUse(string store) => Stores.Contains("*") || Stores.Contains(store);
}
