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
        long tokens = 0;
        var run = Run.None;
        var length = 0;
        for (var i = 0; i < utf8.Length; i++)
        {
            var b = utf8[i];
            Run kind;
            if (b < 0x80)
            {
                if (IsWordByte(b))
                {
                    kind = Run.Word;
                }
                else if (b is (byte)' ' or (byte)'\t')
                {
                    kind = Run.Space;
                }
                else if (b is (byte)'\n' or (byte)'\r')
                {
                    tokens += Close(run, length, nextIsWord: false) + (b == (byte)'\n' ? 1 : 0);
                    (run, length) = (Run.None, 0);
                    continue;
                }
                else
                {
                    kind = Run.Punctuation;
                }
            }
            else if (b >= 0xF0)
            {
                tokens += Close(run, length, nextIsWord: false) + 2;
                (run, length) = (Run.None, 0);
                i += Math.Min(3, utf8.Length - 1 - i);
                continue;
            }
            else if (b >= 0xE0)
            {
                tokens += Close(run, length, nextIsWord: false) + 1;
                (run, length) = (Run.None, 0);
                i += Math.Min(2, utf8.Length - 1 - i);
                continue;
            }
            else if (b >= 0xC0)
            {
                kind = Run.TwoByte;
                i += Math.Min(1, utf8.Length - 1 - i);
            }
            else
            {
                // A continuation byte out of place: invalid UTF-8.
                tokens += Close(run, length, nextIsWord: false) + 1;
                (run, length) = (Run.None, 0);
                continue;
            }

            if (kind == run)
            {
                length++;
                continue;
            }

            tokens += Close(run, length, nextIsWord: kind is Run.Word or Run.TwoByte);
            (run, length) = (kind, 1);
        }

        return tokens + Close(run, length, nextIsWord: false);
    }

    /// <summary>Estimates the tokens of a string, by the same rules as its UTF-8 encoding.</summary>
    public static long Estimate(ReadOnlySpan<char> text)
    {
        long tokens = 0;
        var run = Run.None;
        var length = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            Run kind;
            if (c < 0x80)
            {
                var b = (byte)c;
                if (IsWordByte(b))
                {
                    kind = Run.Word;
                }
                else if (b is (byte)' ' or (byte)'\t')
                {
                    kind = Run.Space;
                }
                else if (b is (byte)'\n' or (byte)'\r')
                {
                    tokens += Close(run, length, nextIsWord: false) + (b == (byte)'\n' ? 1 : 0);
                    (run, length) = (Run.None, 0);
                    continue;
                }
                else
                {
                    kind = Run.Punctuation;
                }
            }
            else if (c < 0x800)
            {
                kind = Run.TwoByte;
            }
            else
            {
                // A surrogate pair is a four-byte character: two tokens, one for each half; an unpaired half counts as
                // the three bytes of the replacement character it would be encoded as.
                tokens += Close(run, length, nextIsWord: false) + 1;
                (run, length) = (Run.None, 0);
                continue;
            }

            if (kind == run)
            {
                length++;
                continue;
            }

            tokens += Close(run, length, nextIsWord: kind is Run.Word or Run.TwoByte);
            (run, length) = (kind, 1);
        }

        return tokens + Close(run, length, nextIsWord: false);
    }

    private static bool IsWordByte(byte b) => (uint)((b | 0x20) - 'a') <= 'z' - 'a' || (uint)(b - '0') <= 9 || b == '_';

    private static long Close(Run run, int length, bool nextIsWord) => run switch
    {
        Run.Word => (length + 3) / 4,
        Run.Space => length == 1 && nextIsWord ? 0 : 1,
        Run.Punctuation or Run.TwoByte => (length + 1) / 2,
        _ => 0,
    };
}
