using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Mnemo.Tokens;

/// <summary>Estimates how many tokens a text takes, quickly and offline, from the shape of its characters.</summary>
/// <remarks>
/// <para>No tokenizer of current Claude models is published, so this is a model of one, not a copy: byte-pair tokenizers
/// give a common word one token and split longer words every few letters, merge a space into the word after it and a
/// line's indentation into its line break, merge runs of punctuation, and spend about one token on each character of
/// the scripts they saw less of.</para>
/// <para>The rules, over UTF-8: a run of ASCII letters (and underscores) costs one token per six characters, rounded
/// up, and a capital after a small letter starts a new run (<c>camelCase</c> is two); a run of digits costs one per two;
/// a single space before a run of letters, digits or two-byte letters is free, and so are the spaces and tabs that open a
/// line; any other run of spaces or tabs costs one; each line break costs one; a run of ASCII punctuation costs one per
/// three characters; a run of two-byte characters (Latin accents, Greek, Cyrillic, Hebrew, Arabic) one per two; a
/// three-byte character (CJK, Devanagari, Hangul, Thai, most other scripts) one each; a four-byte character (emoji, rare
/// CJK) two each. One pass, no allocation, deterministic.</para>
/// <para>The rules were fitted to run about 15% over Claude's last published tokenizer on English prose, Markdown, code
/// and JSON, so that a trigger set on the estimate fires early rather than late; docs/context-editing.md has the
/// measured error per kind of text and tokenizer.</para>
/// </remarks>
public static class TokenEstimator
{
    private enum Run : byte
    {
        None,
        Indent,
        Letters,
        Digits,
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

    /// <summary>Estimates the tokens of a JSON value by what it holds, not by how its text was laid out.</summary>
    /// <remarks>The same request counts the same whether it was sent compact, with spaces after the separators, or
    /// indented, and whether its strings were written with <c>\u</c> escapes or as the characters themselves: the value is
    /// estimated as compact JSON with only the escapes JSON needs. Text already in that form is estimated as it is, with
    /// no copy.</remarks>
    public static long EstimateJson(JsonElement json)
    {
        var raw = JsonMarshal.GetRawUtf8Value(json);
        if (IsPlain(raw))
        {
            return Estimate(raw);
        }

        var buffer = new ArrayBufferWriter<byte>(raw.Length);
        using (var writer = new Utf8JsonWriter(buffer, PlainJson))
        {
            json.WriteTo(writer);
        }

        return Estimate(buffer.WrittenSpan);
    }

    private static readonly JsonWriterOptions PlainJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    /// <summary>Whether JSON text is compact and escapes nothing but what JSON needs (no <c>\u</c>, no <c>\/</c>).</summary>
    private static bool IsPlain(ReadOnlySpan<byte> utf8)
    {
        var inString = false;
        for (var i = 0; i < utf8.Length; i++)
        {
            var b = utf8[i];
            if (inString)
            {
                if (b == (byte)'\\')
                {
                    i++;
                    if (i < utf8.Length && utf8[i] is (byte)'u' or (byte)'/')
                    {
                        return false;
                    }
                }
                else if (b == (byte)'"')
                {
                    inString = false;
                }
            }
            else if (b == (byte)'"')
            {
                inString = true;
            }
            else if (b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
            {
                return false;
            }
        }

        return true;
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

    /// <summary>The running count: the run being read and the tokens of the runs closed before it.</summary>
    private struct State
    {
        private long _tokens;
        private Run _run;
        private int _length;
        private bool _lastLower;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Ascii(byte b)
        {
            if ((uint)((b | 0x20) - 'a') <= 'z' - 'a' || b == '_')
            {
                // A capital after a small letter starts a piece of its own, as in camelCase.
                var lower = b >= 'a' || b == '_';
                if (!lower && _lastLower)
                {
                    Single(0);
                }

                Add(Run.Letters);
                _lastLower = lower;
            }
            else if ((uint)(b - '0') <= 9)
            {
                Add(Run.Digits);
            }
            else if (b is (byte)' ' or (byte)'\t')
            {
                Add(Run.Space);
            }
            else if (b == (byte)'\n')
            {
                // The spaces that open the next line go with the break.
                Single(1);
                _run = Run.Indent;
            }
            else if (b == (byte)'\r')
            {
                Single(0);
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
            if (kind == _run || (kind == Run.Space && _run == Run.Indent))
            {
                _length++;
                return;
            }

            _tokens += Close(_run, _length, nextIsWord: kind is Run.Letters or Run.Digits or Run.TwoByte);
            (_run, _length, _lastLower) = (kind, 1, false);
        }

        /// <summary>Closes the current run and adds a character that stands alone.</summary>
        public void Single(int tokens)
        {
            _tokens += Close(_run, _length, nextIsWord: false) + tokens;
            (_run, _length, _lastLower) = (Run.None, 0, false);
        }

        public readonly long Finish() => _tokens + Close(_run, _length, nextIsWord: false);
    }

    private static long Close(Run run, int length, bool nextIsWord) => run switch
    {
        Run.Letters => (length + 5) / 6,
        Run.Digits => (length + 1) / 2,
        Run.Space => length == 1 && nextIsWord ? 0 : 1,
        Run.Punctuation => (length + 2) / 3,
        Run.TwoByte => (length + 1) / 2,
        _ => 0,
    };
}
