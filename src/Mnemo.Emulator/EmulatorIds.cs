using System.Security.Cryptography;
using System.Text;

namespace Mnemo.Emulator;

/// <summary>
/// Ids in the API's formats. Tool-use ids are derived from the conversation and the turn, so a script replays the same
/// transcript every run and a retried request gets the same calls; message and request ids are random, one per answer,
/// as the API's are.
/// </summary>
internal static class EmulatorIds
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    // Signatures the emulator gives its thinking blocks; a block sent back with one that does not fit its text was changed.
    internal const string SignaturePrefix = "mnemo-emulator:";

    public static string Derived(string prefix, string seed)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(seed), hash);
        return prefix + Base62(hash);
    }

    public static string Random(string prefix)
    {
        Span<byte> bytes = stackalloc byte[32];
        RandomNumberGenerator.Fill(bytes);
        return prefix + Base62(bytes);
    }

    public static string Signature(string thinking) =>
        SignaturePrefix + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(thinking)));

    /// <summary>Whether a thinking block's signature fits its text; signatures the emulator did not make are not judged.</summary>
    public static bool IsValidSignature(string thinking, string signature) =>
        !signature.StartsWith(SignaturePrefix, StringComparison.Ordinal) || signature == Signature(thinking);

    private static string Base62(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = stackalloc char[22];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = Alphabet[bytes[i] % Alphabet.Length];
        }

        return new string(chars);
    }
}
