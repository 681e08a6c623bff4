namespace Mnemo.Memory.Safety;

/// <summary>Instructions hidden in base64: long runs that decode to text are read by the rules that read for meaning.</summary>
public sealed partial class MemoryScanner
{
    /// <summary>Long base64 runs that decode to text, read by the rules that read for meaning: each finding covers the
    /// whole run, its rule named <c>…-in-base64</c>.</summary>
    private static void FindEncoded(string text, List<MemoryFinding> findings)
    {
        foreach (var (start, length, decoded) in Base64Runs(text))
        {
            foreach (var inner in Default.Scan(decoded))
            {
                if (inner.Kind is not (MemoryFindingKind.Secret or MemoryFindingKind.HiddenCharacter) &&
                    !findings.Exists(f => f.Start == start && f.Rule == inner.Rule + "-in-base64"))
                {
                    findings.Add(new MemoryFinding(inner.Kind, inner.Rule + "-in-base64", start, length, inner.Confidence));
                }
            }
        }
    }

    /// <summary>Runs of 24 or more base64 characters, of mixed case, that decode to UTF-8 text of printable characters.</summary>
    private static IEnumerable<(int Start, int Length, string Decoded)> Base64Runs(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            var next = text.AsSpan(i).IndexOfAnyInRange('A', 'Z');
            if (next < 0)
            {
                yield break;
            }

            var start = i + next;
            while (start > 0 && IsBase64(text[start - 1]))
            {
                start--;
            }

            var end = i + next;
            while (end < text.Length && IsBase64(text[end]))
            {
                end++;
            }

            var body = end;
            while (end < text.Length && end - body < 2 && text[end] == '=')
            {
                end++;
            }

            i = Math.Max(end, i + next + 1);
            if (body - start >= 24 && TryDecode(text.AsSpan(start, end - start)) is { } decoded)
            {
                yield return (start, end - start, decoded);
            }
        }
    }

    private static bool IsBase64(char c) => char.IsAsciiLetterOrDigit(c) || c is '+' or '/';

    private static string? TryDecode(ReadOnlySpan<char> run)
    {
        if (!run.ContainsAnyInRange('a', 'z') || !run.ContainsAnyInRange('A', 'Z'))
        {
            return null; // a word in capitals or in lower case, not an encoding
        }

        var padded = run.TrimEnd('=').ToString();
        padded += new string('=', (4 - (padded.Length % 4)) % 4);
        var bytes = new byte[padded.Length * 3 / 4];
        if (!Convert.TryFromBase64String(padded, bytes, out var written) || !System.Text.Unicode.Utf8.IsValid(bytes.AsSpan(0, written)))
        {
            return null;
        }

        var decoded = System.Text.Encoding.UTF8.GetString(bytes, 0, written);
        var printable = decoded.Count(c => !char.IsControl(c) || c is '\n' or '\r' or '\t');
        return printable * 10 >= decoded.Length * 9 && decoded.Any(char.IsLetter) && decoded.Contains(' ') ? decoded : null;
    }
}
