using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Mnemo.Memory;

/// <summary>Represents a path under the virtual <c>/memories</c> root, validated and normalised lexically.</summary>
/// <remarks>
/// Parsing checks the <c>/memories</c> prefix, rejects control characters, unpaired surrogates and over-long names,
/// and folds <c>.</c>, <c>..</c> and repeated slashes; a path whose <c>..</c> would leave the root is rejected.
/// Symbolic links are the store's business: a lexically valid path may still escape through one.
/// </remarks>
public sealed class MemoryPath : IEquatable<MemoryPath>
{
    /// <summary>The virtual root that every memory path starts with.</summary>
    public const string Root = "/memories";

    /// <summary>The most UTF-8 bytes one name in a path may have.</summary>
    public const int MaxNameBytes = 255;

    /// <summary>The most UTF-8 bytes a whole path may have.</summary>
    public const int MaxPathBytes = 4096;

    private static readonly string[] NoSegments = [];

    // Built on first use and kept: the path is immutable, and the store's read tracking and history ask for it on every call.
    private string? _normalized;

    private MemoryPath(string original, string[] segments)
    {
        Original = original;
        Segments = segments;
    }

    /// <summary>Gets the path exactly as the caller gave it; every message that names the path uses this text.</summary>
    public string Original { get; }

    /// <summary>Gets the names below the root, normalised: no empty, <c>.</c> or <c>..</c> names.</summary>
    public IReadOnlyList<string> Segments { get; }

    /// <summary>Gets a value indicating whether the path is the root itself.</summary>
    public bool IsRoot => Segments.Count == 0;

    /// <summary>Gets the last name of the path, or <see langword="null"/> for the root.</summary>
    public string? Name => IsRoot ? null : Segments[^1];

    /// <summary>Gets the normalised path, such as <c>/memories/notes/a.md</c>.</summary>
    public string Normalized => _normalized ??= IsRoot ? Root : Root + "/" + string.Join('/', Segments);

    /// <summary>Gets the root path.</summary>
    public static MemoryPath RootPath { get; } = new(Root, NoSegments);

    /// <summary>Parses a virtual path.</summary>
    /// <param name="path">The path as the model sent it.</param>
    /// <param name="result">The parsed path, when parsing succeeds.</param>
    /// <param name="error">Why parsing failed, or <see cref="MemoryPathError.None"/>.</param>
    /// <returns><see langword="true"/> when <paramref name="path"/> is a valid memory path.</returns>
    public static bool TryParse(string? path, [NotNullWhen(true)] out MemoryPath? result, out MemoryPathError error)
    {
        result = null;
        if (path is null || !(path.Equals(Root, StringComparison.Ordinal) || path.StartsWith(Root + "/", StringComparison.Ordinal)))
        {
            error = MemoryPathError.BadPrefix;
            return false;
        }

        for (var i = 0; i < path.Length; i++)
        {
            var c = path[i];
            if (char.IsHighSurrogate(c) && i + 1 < path.Length && char.IsLowSurrogate(path[i + 1]))
            {
                i++;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                error = MemoryPathError.InvalidUnicode;
                return false;
            }

            if (char.IsControl(c))
            {
                error = MemoryPathError.ControlCharacter;
                return false;
            }
        }

        if (Encoding.UTF8.GetByteCount(path) > MaxPathBytes)
        {
            error = MemoryPathError.TooLong;
            return false;
        }

        var segments = new List<string>();
        foreach (var part in path.AsSpan(Root.Length).ToString().Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (segments.Count == 0)
                {
                    error = MemoryPathError.Escapes;
                    return false;
                }

                segments.RemoveAt(segments.Count - 1);
                continue;
            }

            if (Encoding.UTF8.GetByteCount(part) > MaxNameBytes)
            {
                error = MemoryPathError.TooLong;
                return false;
            }

            segments.Add(part);
        }

        result = new MemoryPath(path, segments.Count == 0 ? NoSegments : [.. segments]);
        error = MemoryPathError.None;
        return true;
    }

    /// <summary>Creates a path from names below the root, as a store does for entries it lists.</summary>
    /// <param name="segments">The names below the root; none may be empty, <c>.</c>, <c>..</c> or hold a slash.</param>
    /// <returns>The path.</returns>
    public static MemoryPath FromSegments(IEnumerable<string> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var names = segments.ToArray();
        var text = names.Length == 0 ? Root : Root + "/" + string.Join('/', names);
        if (!TryParse(text, out var path, out var error) || path.Segments.Count != names.Length)
        {
            throw new ArgumentException($"The names do not form a valid memory path ({error}).", nameof(segments));
        }

        return path;
    }

    /// <summary>Returns whether this path is <paramref name="other"/> or one of its ancestors.</summary>
    /// <param name="other">The path that may lie below this one.</param>
    /// <returns><see langword="true"/> when <paramref name="other"/> is this path or lies below it.</returns>
    public bool IsSameOrAncestorOf(MemoryPath other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Segments.Count < Segments.Count)
        {
            return false;
        }

        for (var i = 0; i < Segments.Count; i++)
        {
            if (!string.Equals(Segments[i], other.Segments[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Returns the path of a child of this path.</summary>
    /// <param name="name">The child's name.</param>
    /// <returns>The child's path; its <see cref="Original"/> is its normalised form.</returns>
    public MemoryPath Child(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return FromSegments([.. Segments, name]);
    }

    /// <inheritdoc/>
    public bool Equals(MemoryPath? other) =>
        other is not null && Segments.Count == other.Segments.Count && IsSameOrAncestorOf(other);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is MemoryPath other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var segment in Segments)
        {
            hash.Add(segment, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc/>
    public override string ToString() => Original;
}

/// <summary>Says why a string is not a valid memory path.</summary>
public enum MemoryPathError
{
    /// <summary>The path is valid.</summary>
    None,

    /// <summary>The path is not <c>/memories</c> and does not start with <c>/memories/</c>.</summary>
    BadPrefix,

    /// <summary>The path's <c>..</c> names lead out of the root.</summary>
    Escapes,

    /// <summary>The path holds a control character, such as NUL or a newline.</summary>
    ControlCharacter,

    /// <summary>The path holds an unpaired UTF-16 surrogate.</summary>
    InvalidUnicode,

    /// <summary>A name is longer than <see cref="MemoryPath.MaxNameBytes"/> or the path than <see cref="MemoryPath.MaxPathBytes"/>.</summary>
    TooLong,
}
