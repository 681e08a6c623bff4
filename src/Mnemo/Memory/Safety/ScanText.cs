using System.Buffers;
using System.Text;

namespace Mnemo.Memory.Safety;

/// <summary>The text the instruction, marker and tool-call rules read: the note with what hides words from them folded
/// away, each character's place in the note kept so findings point at the note.</summary>
/// <remarks>
/// <para>Folded: Unicode tag characters spell the ASCII they hide; zero-width, bidirectional and other invisible
/// characters go; fullwidth and mathematical letters become ASCII; in a word mixing Latin letters with Cyrillic or
/// Greek look-alikes the look-alikes become Latin (a word wholly in one script is left alone, so Russian stays Russian);
/// letter-spaced text (<c>I g n o r e  a l l</c>, <c>i.g.n.o.r.e</c>) is joined.</para>
/// </remarks>
internal static class ScanText
{
    private static readonly SearchValues<char> Suspicious = SearchValues.Create(
        "\u00AD\u180E\u200B\u200C\u200D\u200E\u200F\u202A\u202B\u202C\u202D\u202E\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\uFEFF\u3000\uDB40\uD835");

    /// <summary>How far on each side of a character that needs folding the folded window reaches: past any phrase a rule
    /// reads for meaning.</summary>
    private const int Reach = 400;

    /// <summary>The stretches of a text that need folding, each with <see cref="Reach"/> characters on both sides, merged.</summary>
    /// <param name="text">The note.</param>
    /// <returns>Start and end (exclusive) of each stretch; none when nothing needs folding.</returns>
    public static List<(int From, int To)> Windows(string text)
    {
        var windows = new List<(int From, int To)>();
        void Add(int at)
        {
            var (from, to) = (Math.Max(0, at - Reach), Math.Min(text.Length, at + Reach));
            if (windows.Count > 0 && windows[^1].To >= from)
            {
                windows[^1] = (windows[^1].From, Math.Max(windows[^1].To, to));
            }
            else
            {
                windows.Add((from, to));
            }
        }

        var span = text.AsSpan();
        var hasLookAlikes = span.IndexOfAnyInRange('\u0370', '\u04FF') >= 0;
        for (var i = span.IndexOfAnyExceptInRange('\0', '\u007F'); i >= 0;)
        {
            var c = text[i];
            if (Suspicious.Contains(c) || c is >= '\uFF01' and <= '\uFF5E' ||
                (hasLookAlikes && c is >= '\u0370' and <= '\u04FF' && Latin.ContainsKey(c) && InMixedWord(text, i)))
            {
                Add(i);
            }

            var next = span[(i + 1)..].IndexOfAnyExceptInRange('\0', '\u007F');
            i = next < 0 ? -1 : i + 1 + next;
        }

        var parts = new List<int>();
        for (var at = NextSpaced(text, 0); at >= 0;)
        {
            Add(at);
            parts.Clear();
            Region(text, at, parts);
            at = NextSpaced(text, parts[^1] + 1);
        }

        windows.Sort();
        for (var k = windows.Count - 1; k > 0; k--)
        {
            if (windows[k - 1].To >= windows[k].From)
            {
                windows[k - 1] = (windows[k - 1].From, Math.Max(windows[k - 1].To, windows[k].To));
                windows.RemoveAt(k);
            }
        }

        return windows;
    }

    private static bool InMixedWord(string text, int at)
    {
        var start = at;
        while (start > 0 && char.IsLetter(text[start - 1]))
        {
            start--;
        }

        var end = at;
        while (end < text.Length && char.IsLetter(text[end]))
        {
            end++;
        }

        for (var j = start; j < end; j++)
        {
            if (char.IsAsciiLetter(text[j]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Folds a text; <see langword="null"/> when there is nothing to fold, which is the common case and costs one pass.</summary>
    /// <param name="text">The note.</param>
    /// <param name="map">For each character of the folded text, where it came from in the note.</param>
    public static string? Fold(string text, out int[] map)
    {
        map = [];
        if (!NeedsFolding(text))
        {
            return null;
        }

        var folded = new StringBuilder(text.Length);
        var places = new List<int>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var code = char.ConvertToUtf32(c, text[i + 1]);
                if (Astral(code) is { } ascii)
                {
                    if (ascii != '\0')
                    {
                        folded.Append(ascii);
                        places.Add(i);
                    }

                    i++;
                    continue;
                }
            }

            switch (c)
            {
                case '\u00AD' or '\u180E' or (>= '\u200B' and <= '\u200F') or (>= '\u202A' and <= '\u202E') or (>= '\u2060' and <= '\u2064') or (>= '\u2066' and <= '\u2069') or '\uFEFF':
                    continue; // invisible: gone
                case >= '\uFF01' and <= '\uFF5E':
                    c = (char)(c - 0xFEE0); // fullwidth ASCII
                    break;
                case '\u3000':
                    c = ' ';
                    break;
            }

            folded.Append(c);
            places.Add(i);
        }

        FoldLookAlikes(folded);
        var joined = JoinSpacedLetters(folded, places);
        map = [.. places];
        return joined;
    }

    private static bool NeedsFolding(string text)
    {
        if (text.AsSpan().IndexOfAny(Suspicious) >= 0 || text.AsSpan().IndexOfAnyInRange('\uFF01', '\uFF5E') >= 0)
        {
            return true;
        }

        // Letters spaced out, or Latin words with Cyrillic or Greek letters in them.
        return SpacedRun(text) || (text.AsSpan().IndexOfAnyInRange('\u0370', '\u04FF') >= 0 && HasMixedWord(text));
    }

    /// <summary>The ASCII an astral character shows or hides: a tag character's letter, a mathematical letter or digit;
    /// <c>\0</c> for a tag that hides nothing (begin, cancel); <see langword="null"/> for any other.</summary>
    private static char? Astral(int code) => code switch
    {
        >= 0xE0020 and <= 0xE007E => (char)(code - 0xE0000),
        >= 0xE0000 and <= 0xE007F => '\0',
        >= 0x1D400 and <= 0x1D6A3 => (char)((code - 0x1D400) % 52 is var letter && letter < 26 ? 'A' + letter : 'a' + letter - 26),
        >= 0x1D7CE and <= 0x1D7FF => (char)('0' + ((code - 0x1D7CE) % 10)),
        _ => null,
    };

    private const string LookAlikes = "аa еe оo рp сc уy хx іi јj ѕs ԁd һh ӏl ԛq ԝw Аa Вb Еe Кk Мm Нh Оo Рp Сc Тt Хx Уy Іi Јj Ѕs αa βb εe ιi κk νv οo ρp τt υu χx Αa Βb Εe Ζz Ηh Ιi Κk Μm Νn Οo Ρp Τt Υy Χx";

    private static readonly Dictionary<char, char> Latin = LookAlikes.Split(' ').ToDictionary(pair => pair[0], pair => pair[1]);

    /// <summary>In each word that mixes ASCII letters with look-alikes, makes the look-alikes Latin.</summary>
    private static void FoldLookAlikes(StringBuilder text)
    {
        var start = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && char.IsLetter(text[i]))
            {
                continue;
            }

            if (i - start > 1)
            {
                var ascii = false;
                var alike = false;
                for (var j = start; j < i; j++)
                {
                    ascii |= char.IsAsciiLetter(text[j]);
                    alike |= Latin.ContainsKey(text[j]);
                }

                if (ascii && alike)
                {
                    for (var j = start; j < i; j++)
                    {
                        if (Latin.TryGetValue(text[j], out var latin))
                        {
                            text[j] = latin;
                        }
                    }
                }
            }

            start = i + 1;
        }
    }

    private static bool HasMixedWord(string text)
    {
        var builder = new StringBuilder(text);
        FoldLookAlikes(builder);
        return !builder.Equals(text.AsSpan());
    }

    /// <summary>Whether the text has letters spaced out: at least four single letters in a row.</summary>
    private static bool SpacedRun(string text) => NextSpaced(text, 0) >= 0;

    /// <summary>Where the next region of four or more spaced single letters starts, from a position; -1 when none.</summary>
    /// <remarks>Vectorised: a spaced letter is a separator with the same separator two characters on, so the search
    /// compares the text with itself shifted by two, a vector at a time, and looks closer only where both agree.</remarks>
    private static int NextSpaced(string text, int from)
    {
        var chars = System.Runtime.InteropServices.MemoryMarshal.Cast<char, ushort>(text.AsSpan());
        var width = System.Numerics.Vector<ushort>.Count;
        var (space, dot, dash, low, star) = (new System.Numerics.Vector<ushort>(' '), new System.Numerics.Vector<ushort>('.'),
            new System.Numerics.Vector<ushort>('-'), new System.Numerics.Vector<ushort>('_'), new System.Numerics.Vector<ushort>('*'));
        var i = from;
        for (; i + width + 2 <= chars.Length; i += width)
        {
            var a = new System.Numerics.Vector<ushort>(chars[i..]);
            var b = new System.Numerics.Vector<ushort>(chars[(i + 2)..]);
            var separator = System.Numerics.Vector.Equals(a, space) | System.Numerics.Vector.Equals(a, dot) | System.Numerics.Vector.Equals(a, dash) |
                System.Numerics.Vector.Equals(a, low) | System.Numerics.Vector.Equals(a, star);
            if ((System.Numerics.Vector.Equals(a, b) & separator) == System.Numerics.Vector<ushort>.Zero)
            {
                continue;
            }

            for (var k = 0; k < width; k++)
            {
                if (SpacedAt(text, i + k) is var start and >= 0)
                {
                    return start;
                }
            }
        }

        for (; i + 2 < text.Length; i++)
        {
            if (SpacedAt(text, i) is var start and >= 0)
            {
                return start;
            }
        }

        return -1;
    }

    /// <summary>The start of a spaced region whose first separator is at <paramref name="at"/>; -1 when there is none.</summary>
    private static int SpacedAt(string text, int at) =>
        at > 0 && at + 2 < text.Length && IsSeparator(text[at]) && text[at + 2] == text[at] && IsSingle(text, at - 1) && IsSingle(text, at + 1) &&
        Region(text, at - 1, null) >= 4 ? at - 1 : -1;

    private static bool IsSingle(string text, int at) =>
        char.IsLetter(text[at]) && (at == 0 || !char.IsLetter(text[at - 1])) && (at + 1 >= text.Length || !char.IsLetter(text[at + 1]));

    private static bool IsSeparator(char c) => c is ' ' or '.' or '-' or '_' or '*';

    /// <summary>Reads a region of single letters from <paramref name="at"/>: each followed by one separator and another
    /// single letter, or by two or more spaces (a word break) and another. Returns how many letters it holds; when
    /// <paramref name="parts"/> is given, adds each letter's place, and -1 for each word break.</summary>
    private static int Region(string text, int at, List<int>? parts)
    {
        var letters = 0;
        var j = at;
        while (true)
        {
            letters++;
            parts?.Add(j);
            if (j + 2 < text.Length && IsSeparator(text[j + 1]) && IsSingle(text, j + 2))
            {
                j += 2;
                continue;
            }

            var k = j + 1;
            while (k < text.Length && text[k] == ' ')
            {
                k++;
            }

            if (k - j - 1 >= 2 && k < text.Length && IsSingle(text, k))
            {
                parts?.Add(-1);
                j = k;
                continue;
            }

            return letters;
        }
    }

    /// <summary>Joins each region of four or more single letters into words (a word break becomes one space); the places
    /// follow the characters kept.</summary>
    private static string JoinSpacedLetters(StringBuilder text, List<int> places)
    {
        var value = text.ToString();
        if (!SpacedRun(value))
        {
            return value;
        }

        var joined = new StringBuilder(value.Length);
        var kept = new List<int>(places.Count);
        var parts = new List<int>();
        var i = 0;
        while (i < value.Length)
        {
            parts.Clear();
            if (IsSingle(value, i) && Region(value, i, parts) >= 4)
            {
                var previous = i;
                foreach (var part in parts)
                {
                    if (part < 0)
                    {
                        joined.Append(' ');
                        kept.Add(places[previous + 1]);
                        continue;
                    }

                    joined.Append(value[part]);
                    kept.Add(places[part]);
                    previous = part;
                }

                i = parts[^1] + 1;
                continue;
            }

            joined.Append(value[i]);
            kept.Add(places[i]);
            i++;
        }

        places.Clear();
        places.AddRange(kept);
        return joined.ToString();
    }
}
