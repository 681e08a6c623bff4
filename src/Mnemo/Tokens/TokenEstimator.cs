using System.Runtime.CompilerServices;

namespace Mnemo.Tokens;

/// <summary>Estimates how many tokens a text takes, quickly and offline, from the shape of its characters.</summary>
/// <remarks>
/// <para>No tokenizer of Claude's is published, so this is a model of one, not a copy: byte-pair tokenizers give a common
/// word one token and split longer words every few letters, merge a space into the word after it, merge runs of
/// punctuation in pairs, and spend about one token on each character of the scripts they saw less of.</para>
/// <para>The rules, over UTF-8: a run of ASCII letters and digits costs one token per four characters (rounded up); a
/// single space before such a run, or before a run of two-byte letters, is free; any other run of spaces or tabs costs
/// one; each line break costs one; a run of ASCII punctuation costs one per two characters (rounded up); a run of
/// two-byte characters (Latin accents, Greek, Cyrillic, Hebrew, Arabic) one per two characters (rounded up); a
/// three-byte character (CJK, Thai, most other scripts) one each; a four-byte character (emoji, rare CJK) two each. One
/// pass, no allocation, deterministic.</para>
/// </remarks>
public static class TokenEstimator
{
    private enum Run : byte
    {
        None,
        Word,
        Space,
        Punctuation,
        TwoByte,
    }

    /// <summary>Estimates the tokens of UTF-8 text. Invalid bytes count as one token each.</summary>
    public static long Estimate(ReadOnlySpan<byte> utf8)
    {
        var state = default(State);
        for (var i = 0; i < utf8.Length; i++)
        {
            var b = utf8[i];
            if (b < 0x80)
            {
                state.Ascii(b);
            }
            else if (b >= 0xF0)
            {
                state.Single(2);
                i += Math.Min(3, utf8.Length - 1 - i);
            }
            else if (b >= 0xE0)
            {
                state.Single(1);
                i += Math.Min(2, utf8.Length - 1 - i);
            }
            else if (b >= 0xC0)
            {
                state.Add(Run.TwoByte);
                i += Math.Min(1, utf8.Length - 1 - i);
            }
            else
            {
                state.Single(1); // a continuation byte out of place: invalid UTF-8
            }
        }

        return state.Finish();
    }

    /// <summary>Estimates the tokens of a string, by the same rules as its UTF-8 encoding.</summary>
    public static long Estimate(ReadOnlySpan<char> text)
    {
        var state = default(State);
        foreach (var c in text)
        {
            if (c < 0x80)
            {
                state.Ascii((byte)c);
            }
            else if (c < 0x800)
            {
                state.Add(Run.TwoByte);
            }
            else
            {
                // Each half of a surrogate pair counts one, so the pair costs what its four UTF-8 bytes cost; an unpaired
                // half costs what the three-byte replacement character it is encoded as costs.
                state.Single(1);
            }
        }

        return state.Finish();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsWordByte(byte b) => (uint)((b | 0x20) - 'a') <= 'z' - 'a' || (uint)(b - '0') <= 9 || b == '_';

    /// <summary>The running count: the run being read and the tokens of the runs closed before it.</summary>
    private struct State
    {
        private long _tokens;
        private Run _run;
        private int _length;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Ascii(byte b)
        {
            if (IsWordByte(b))
            {
                Add(Run.Word);
            }
            else if (b is (byte)' ' or (byte)'\t')
            {
                Add(Run.Space);
            }
            else if (b is (byte)'\n' or (byte)'\r')
            {
                Single(b == (byte)'\n' ? 1 : 0);
            }
            else
            {
                Add(Run.Punctuation);
            }
        }

        /// <summary>Extends the current run or starts another.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(Run kind)
        {
            if (kind == _run)
            {
                _length++;
                return;
            }

            _tokens += Close(_run, _length, nextIsWord: kind is Run.Word or Run.TwoByte);
            (_run, _length) = (kind, 1);
        }

        /// <summary>Closes the current run and adds a character that stands alone.</summary>
        public void Single(int tokens)
        {
            _tokens += Close(_run, _length, nextIsWord: false) + tokens;
            (_run, _length) = (Run.None, 0);
        }

        public readonly long Finish() => _tokens + Close(_run, _length, nextIsWord: false);
    }

    private static long Close(Run run, int length, bool nextIsWord) => run switch
    {
        Run.Word => (length + 3) / 4,
        Run.Space => length == 1 && nextIsWord ? 0 : 1,
        Run.Punctuation or Run.TwoByte => (length + 1) / 2,
        _ => 0,
    };
}
