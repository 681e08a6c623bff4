using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Mnemo.Context;
using Mnemo.Tokens;

namespace Mnemo.Emulator;

/// <summary>How a request's input tokens divide between the prompt cache and fresh input.</summary>
/// <param name="InputTokens">Tokens neither read from nor written to the cache.</param>
/// <param name="CacheReadTokens">Tokens of the longest cached prefix found.</param>
/// <param name="CacheCreation5mTokens">Tokens written to the cache with the five-minute lifetime.</param>
/// <param name="CacheCreation1hTokens">Tokens written to the cache with the one-hour lifetime.</param>
internal readonly record struct CacheUsage(long InputTokens, long CacheReadTokens, long CacheCreation5mTokens, long CacheCreation1hTokens)
{
    public long CacheCreationTokens => CacheCreation5mTokens + CacheCreation1hTokens;
}

/// <summary>
/// A model of the API's prompt cache, so cost experiments against the emulator mean something. The prompt is read as
/// tools, then system, then messages, block by block; a block with <c>cache_control</c> is a breakpoint. A request reads
/// the longest prefix cached before that ends at one of its breakpoints or at most 20 blocks before one, and writes the
/// prefix up to each of its breakpoints that reaches the minimum length. Entries live five minutes (or an hour with
/// <c>"ttl": "1h"</c>) from their last use, per API key and model.
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class PromptCache(TimeProvider time, int minimumTokens)
{
    private const int Lookback = 20;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _requests;

    public CacheUsage Apply(string scope, ContextRequest request, long totalTokens)
    {
        if (!HasBreakpoint(request))
        {
            return new CacheUsage(totalTokens, 0, 0, 0);
        }

        var units = Units(request);
        var breakpoints = new List<int>();
        for (var i = 0; i < units.Count; i++)
        {
            if (units[i].Ttl is not null)
            {
                breakpoints.Add(i);
            }
        }

        if (breakpoints.Count == 0)
        {
            return new CacheUsage(totalTokens, 0, 0, 0);
        }

        var prefix = new long[units.Count];
        long sum = 0;
        for (var i = 0; i < units.Count; i++)
        {
            sum += units[i].Tokens;
            prefix[i] = Math.Clamp(sum, 0, totalTokens);
        }

        var keys = Keys(scope, units, breakpoints);
        var now = time.GetUtcNow();
        Sweep(now);

        // Read: the longest live prefix at a breakpoint or in the window before one.
        var hit = -1;
        foreach (var point in breakpoints)
        {
            for (var k = point; k >= Math.Max(0, point - Lookback); k--)
            {
                if (k > hit && _entries.TryGetValue(keys[k]!, out var entry) && entry.ExpiresAt > now)
                {
                    _entries[keys[k]!] = entry with { ExpiresAt = now + entry.Lifetime };
                    hit = k;
                    break;
                }
            }
        }

        var read = hit >= 0 ? prefix[hit] : 0;

        // Write: every breakpoint past the hit whose prefix is long enough; its tokens since the last write take its lifetime.
        long created5m = 0, created1h = 0, written = read;
        foreach (var point in breakpoints)
        {
            var lifetime = units[point].Ttl!.Value;
            if (prefix[point] < minimumTokens)
            {
                continue;
            }

            _entries[keys[point]!] = new Entry(now + lifetime, lifetime);
            if (point > hit && prefix[point] > written)
            {
                if (lifetime == TimeSpan.FromHours(1))
                {
                    created1h += prefix[point] - written;
                }
                else
                {
                    created5m += prefix[point] - written;
                }

                written = prefix[point];
            }
        }

        return new CacheUsage(totalTokens - read - created5m - created1h, read, created5m, created1h);
    }

    /// <summary>Whether anything asks for caching; most requests do not, and then no block needs reading twice.</summary>
    private static bool HasBreakpoint(ContextRequest request)
    {
        if (!request.IsMessageList)
        {
            if (MessagesRequestValidator.HasCacheControl(request.Json))
            {
                return true;
            }

            foreach (var name in new[] { "tools", "system" })
            {
                if (request.Json.TryGetProperty(name, out var section) && section.ValueKind == JsonValueKind.Array &&
                    section.EnumerateArray().Any(MessagesRequestValidator.HasCacheControl))
                {
                    return true;
                }
            }
        }

        foreach (var message in request.Messages)
        {
            foreach (var block in message.Blocks)
            {
                if (MessagesRequestValidator.HasCacheControl(block.Json))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private void Sweep(DateTimeOffset now)
    {
        if (Interlocked.Increment(ref _requests) % 256 != 0)
        {
            return;
        }

        foreach (var (key, entry) in _entries)
        {
            if (entry.ExpiresAt <= now)
            {
                _entries.TryRemove(key, out _);
            }
        }
    }

    /// <summary>The cache keys of the prefixes that end where a lookup or write can happen.</summary>
    private static string?[] Keys(string scope, List<Unit> units, List<int> breakpoints)
    {
        var wanted = new bool[units.Count];
        foreach (var point in breakpoints)
        {
            for (var k = Math.Max(0, point - Lookback); k <= point; k++)
            {
                wanted[k] = true;
            }
        }

        var keys = new string?[units.Count];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(scope));
        Span<byte> digest = stackalloc byte[32];
        var last = breakpoints[^1];
        for (var i = 0; i <= last; i++)
        {
            hash.AppendData(units[i].Canonical);
            if (wanted[i])
            {
                hash.GetCurrentHash(digest);
                keys[i] = Convert.ToHexString(digest);
            }
        }

        return keys;
    }

    private static List<Unit> Units(ContextRequest request)
    {
        var units = new List<Unit>();
        if (!request.IsMessageList)
        {
            if (request.Json.TryGetProperty("tools"u8, out var tools))
            {
                AddSection(units, tools, 'T');
            }

            if (request.Json.TryGetProperty("system"u8, out var system))
            {
                AddSection(units, system, 'S');
            }
        }

        foreach (var message in request.Messages)
        {
            var first = true;
            foreach (var block in message.Blocks)
            {
                // The message's framing counts with its first block, so the units add up to the whole count.
                var tokens = EstimatingTokenCounter.Count(block) + (first ? EstimatingTokenCounter.MessageOverhead : 0);
                units.Add(new Unit(Canonical(block.Json, first ? (message.IsAssistant ? 'A' : 'U') : '-'), tokens, Ttl(block.Json)));
                first = false;
            }
        }

        // A top-level cache_control asks for a breakpoint at the end of the prompt, wherever that is on this turn.
        if (!request.IsMessageList && units.Count > 0 && units[^1].Ttl is null && request.Json.TryGetProperty("cache_control"u8, out _) &&
            Ttl(request.Json) is { } automatic)
        {
            units[^1] = units[^1] with { Ttl = automatic };
        }

        return units;
    }

    /// <summary>Adds a section of the preamble (tools or system) as one unit per element, counted as the whole is.</summary>
    private static void AddSection(List<Unit> units, JsonElement section, char marker)
    {
        var whole = TokenEstimator.EstimateJson(section);
        if (section.ValueKind != JsonValueKind.Array || section.GetArrayLength() == 0)
        {
            units.Add(new Unit(Canonical(section, marker), whole, null));
            return;
        }

        long counted = 0;
        foreach (var element in section.EnumerateArray())
        {
            var tokens = TokenEstimator.EstimateJson(element);
            counted += tokens;
            units.Add(new Unit(Canonical(element, marker), tokens, Ttl(element)));
        }

        // The brackets and commas of the list count with its last element.
        units[^1] = units[^1] with { Tokens = units[^1].Tokens + whole - counted };
    }

    private static TimeSpan? Ttl(JsonElement element)
    {
        if (!MessagesRequestValidator.HasCacheControl(element))
        {
            return null;
        }

        var control = element.GetProperty("cache_control"u8);
        return control.TryGetProperty("ttl"u8, out var ttl) && ttl.ValueKind == JsonValueKind.String && ttl.ValueEquals("1h"u8)
            ? TimeSpan.FromHours(1)
            : TimeSpan.FromMinutes(5);
    }

    /// <summary>The bytes that identify a block in a prefix: its JSON without <c>cache_control</c>, after a marker.</summary>
    private static byte[] Canonical(JsonElement element, char marker)
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write([(byte)marker]);
        if (element.ValueKind == JsonValueKind.Object)
        {
            // Written again, not copied: the prefix is the same whatever the spacing and wherever the breakpoints are.
            using var writer = new Utf8JsonWriter(buffer);
            writer.WriteStartObject();
            foreach (var property in element.EnumerateObject())
            {
                if (!property.NameEquals("cache_control"u8))
                {
                    property.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }
        else if (element.ValueKind == JsonValueKind.String)
        {
            // A message's plain-string content is the same prompt as one text block holding it.
            using var writer = new Utf8JsonWriter(buffer);
            writer.WriteStartObject();
            writer.WriteString("type"u8, "text"u8);
            writer.WriteString("text"u8, element.GetString());
            writer.WriteEndObject();
        }
        else
        {
            buffer.Write(JsonMarshal.GetRawUtf8Value(element));
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private readonly record struct Unit(byte[] Canonical, long Tokens, TimeSpan? Ttl);

    private readonly record struct Entry(DateTimeOffset ExpiresAt, TimeSpan Lifetime);
}
