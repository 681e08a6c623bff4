using Mnemo.Memory;

namespace Mnemo.Anthropic.ManagedMemory;

/// <summary>Represents the options of an <see cref="AnthropicMemoryStore"/>.</summary>
public sealed class AnthropicMemoryStoreOptions
{
    /// <summary>The most a memory may hold, in bytes of UTF-8: the API's limit (documented as 100 KB).</summary>
    public const int MaxMemoryBytes = 100_000;

    /// <summary>The longest path the API takes, in bytes of UTF-8.</summary>
    public const int MaxPathBytes = 1_024;

    /// <summary>Gets or sets the managed memory store, <c>memstore_…</c>.</summary>
    /// <value>Required.</value>
    public string MemoryStoreId { get; set; } = string.Empty;

    /// <summary>Gets or sets the folder of the managed store that <c>/memories</c> maps to.</summary>
    /// <value><c>/</c> by default: <c>/memories/notes.md</c> is the store's <c>/notes.md</c>. With <c>/agents/reviewer/</c>, it
    /// is <c>/agents/reviewer/notes.md</c>, and the memories outside that folder are out of the tool's reach.</value>
    public string PathPrefix { get; set; } = "/";

    /// <summary>Gets or sets the limits the store keeps to, with the tool's quota messages, on top of the API's own (a
    /// memory of at most <see cref="MaxMemoryBytes"/>, a path of at most <see cref="MaxPathBytes"/>, which hold whatever
    /// is set here).</summary>
    /// <value>The API's limits only by default. Limits on the number of files or on the total size cost one listing of
    /// the folder per write, since the API keeps no running totals.</value>
    public MemoryQuotas Quotas { get; set; } = new()
    {
        MaxFileBytes = MaxMemoryBytes,
        MaxFileLines = long.MaxValue,
        MaxFiles = long.MaxValue,
        MaxTotalBytes = long.MaxValue,
        MaxPathBytes = MemoryPath.MaxPathBytes,
    };

    /// <summary>Gets or sets the clock <see cref="AnthropicMemoryStore.SweepAsync"/> measures idle time against.</summary>
    /// <value><see cref="TimeProvider.System"/> by default.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Gets or sets how many times a request that failed without an answer the store can use (a rate limit, a
    /// server error, a lost connection) is tried in all, where trying again is safe.</summary>
    /// <value>4 by default.</value>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>Gets or sets the pause before the first retry; it doubles with each.</summary>
    /// <value>200 ms by default.</value>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The quotas as the store applies them: the API's file limit holds whatever is set.</summary>
    internal MemoryQuotas EffectiveQuotas() => new()
    {
        MaxFileBytes = Math.Min(Quotas.MaxFileBytes, MaxMemoryBytes),
        MaxFileLines = Quotas.MaxFileLines,
        MaxFiles = Quotas.MaxFiles,
        MaxTotalBytes = Quotas.MaxTotalBytes,
        MaxPathBytes = Quotas.MaxPathBytes,
    };

    /// <summary>The prefix as the store uses it: starting and ending with '/', with valid segments.</summary>
    internal string ValidatedPrefix()
    {
        if (string.IsNullOrWhiteSpace(MemoryStoreId))
        {
            throw new ArgumentException("AnthropicMemoryStoreOptions.MemoryStoreId is required: the managed memory store, memstore_….", nameof(MemoryStoreId));
        }

        var prefix = "/" + (PathPrefix ?? "/").Trim('/');
        prefix = prefix == "/" ? prefix : prefix + "/";
        if (prefix.Length > 1 && prefix[1..^1].Split('/').Any(segment => segment.Length == 0 || segment is "." or ".."))
        {
            throw new ArgumentException($"AnthropicMemoryStoreOptions.PathPrefix '{PathPrefix}' has an empty, '.' or '..' segment.", nameof(PathPrefix));
        }

        ArgumentNullException.ThrowIfNull(Quotas, nameof(Quotas));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        Quotas.Validated();

        if (MaxAttempts < 1)
        {
            throw new ArgumentException("AnthropicMemoryStoreOptions.MaxAttempts must be at least 1.", nameof(MaxAttempts));
        }

        return prefix;
    }
}
