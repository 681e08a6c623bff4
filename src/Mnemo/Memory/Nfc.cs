using System.Text;

namespace Mnemo.Memory;

/// <summary>
/// Tells whether text is in Unicode normalization form C, without ICU: the project runs with invariant globalization,
/// where <see cref="string.IsNormalized()"/> answers yes to everything. Anthropic's managed memory stores take only NFC
/// paths, so the store and the emulator check with this.
/// </summary>
/// <remarks>The text is NFC when no code point is one NFC never holds, combining marks follow their canonical order, and
/// no mark (or Hangul jamo) that NFC would fold into the starter before it is left apart. The data is generated from the
/// Unicode database by <c>eng/generate-nfc-data.py</c>.</remarks>
internal static partial class Nfc
{
    // Made on first use: the generated arrays are in another file of this class, whose initializers may run after these.
    private static readonly Lazy<Dictionary<int, int>> Classes = new(() => Pairs(CombiningClasses).ToDictionary(pair => pair.A, pair => pair.B));
    private static readonly Lazy<HashSet<long>> Compositions = new(() => [.. Pairs(CompositionPairs).Select(pair => ((long)pair.A << 21) | (uint)pair.B)]);

    /// <summary>Tells whether a text is in NFC.</summary>
    /// <param name="text">The text.</param>
    /// <returns><see langword="true"/> when normalising it to NFC would leave it as it is.</returns>
    public static bool IsNormalized(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var starter = -1;      // the last code point of class 0, which a following mark may compose with
        var lastClass = 0;     // the class of the code point before, for the canonical order and for blocking
        var previous = -1;
        foreach (var rune in text.EnumerateRunes())
        {
            var cp = rune.Value;
            if (cp < 0x300)
            {
                (starter, lastClass, previous) = (cp, 0, cp);
                continue; // Latin-1 and the rest below the combining marks are NFC on their own and start nothing new
            }

            if (InNo(cp))
            {
                return false;
            }

            var cls = Classes.Value.GetValueOrDefault(cp);
            if (cls != 0 && lastClass > cls)
            {
                return false; // marks out of canonical order
            }

            // A code point that composes with the starter before it, unblocked (nothing of the same or a higher class between).
            if (starter >= 0 && (previous == starter || (lastClass != 0 && lastClass < cls)) && Composes(starter, cp))
            {
                return false;
            }

            if (cls == 0)
            {
                starter = cp;
            }

            (lastClass, previous) = (cls, cp);
        }

        return true;
    }

    private static bool Composes(int starter, int cp)
    {
        // Hangul syllables compose by rule: a leading consonant and a vowel, or such a syllable and a trailing consonant.
        if (starter is >= 0x1100 and <= 0x1112 && cp is >= 0x1161 and <= 0x1175)
        {
            return true;
        }

        if (starter is >= 0xAC00 and <= 0xD7A3 && (starter - 0xAC00) % 28 == 0 && cp is >= 0x11A8 and <= 0x11C2)
        {
            return true;
        }

        return Compositions.Value.Contains(((long)starter << 21) | (uint)cp);
    }

    private static bool InNo(int cp)
    {
        // NoRanges is short (73 ranges) and ascending: a binary search over its pairs.
        int low = 0, high = (NoRanges.Length / 2) - 1;
        while (low <= high)
        {
            var middle = (low + high) / 2;
            if (cp < NoRanges[middle * 2])
            {
                high = middle - 1;
            }
            else if (cp > NoRanges[(middle * 2) + 1])
            {
                low = middle + 1;
            }
            else
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<(int A, int B)> Pairs(int[] values)
    {
        for (var i = 0; i + 1 < values.Length; i += 2)
        {
            yield return (values[i], values[i + 1]);
        }
    }
}
