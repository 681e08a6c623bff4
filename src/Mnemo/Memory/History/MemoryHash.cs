using System.Security.Cryptography;

namespace Mnemo.Memory;

/// <summary>Computes the content hashes that history records and compare-and-swap writes carry.</summary>
public static class MemoryHash
{
    /// <summary>Computes the SHA-256 of a content, in lowercase hex.</summary>
    /// <param name="content">The bytes.</param>
    /// <returns>64 lowercase hex digits.</returns>
    public static string Sha256(ReadOnlySpan<byte> content)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(content, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>Tells whether text has the form of a hash this class makes.</summary>
    /// <param name="text">The text.</param>
    /// <returns><see langword="true"/> for 64 lowercase hex digits.</returns>
    public static bool IsSha256(string? text) =>
        text is { Length: 64 } && text.AsSpan().IndexOfAnyExcept("0123456789abcdef") < 0;
}
