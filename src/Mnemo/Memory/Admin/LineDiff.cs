using System.Globalization;
using System.Text;

namespace Mnemo.Memory;

/// <summary>Makes unified diffs of two texts, line by line, for people reading a file's history.</summary>
internal static class LineDiff
{
    private const int Context = 3;
    private const long MaxCells = 25_000_000;

    public static string Unified(string oldText, string newText, string oldLabel, string newLabel)
    {
        var a = Split(oldText);
        var b = Split(newText);
        var ops = Operations(a, b);
        if (ops.TrueForAll(op => op.Kind == ' '))
        {
            return string.Empty;
        }

        var output = new StringBuilder();
        output.Append("--- ").Append(oldLabel).Append('\n').Append("+++ ").Append(newLabel).Append('\n');
        var i = 0;
        while (i < ops.Count)
        {
            if (ops[i].Kind == ' ')
            {
                i++;
                continue;
            }

            // A hunk: the change with its context, merged with the next change when their contexts touch.
            var start = Math.Max(0, i - Context);
            var end = i;
            while (end < ops.Count)
            {
                var next = end;
                while (next < ops.Count && ops[next].Kind != ' ')
                {
                    next++;
                }

                var gap = next;
                while (gap < ops.Count && ops[gap].Kind == ' ')
                {
                    gap++;
                }

                end = next;
                if (gap >= ops.Count || gap - next > 2 * Context)
                {
                    end = Math.Min(ops.Count, next + Context);
                    break;
                }

                end = gap;
            }

            var oldStart = ops[start].OldLine;
            var newStart = ops[start].NewLine;
            var oldCount = 0;
            var newCount = 0;
            var body = new StringBuilder();
            for (var k = start; k < end; k++)
            {
                var op = ops[k];
                oldCount += op.Kind != '+' ? 1 : 0;
                newCount += op.Kind != '-' ? 1 : 0;
                body.Append(op.Kind).Append(op.Text).Append('\n');
            }

            output.Append(CultureInfo.InvariantCulture, $"@@ -{Range(oldStart, oldCount)} +{Range(newStart, newCount)} @@\n").Append(body);
            i = end;
        }

        return output.ToString();
    }

    private static string Range(int start, int count) =>
        count == 1 ? (start + 1).ToString(CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{(count == 0 ? start : start + 1)},{count}");

    private static string[] Split(string text)
    {
        if (text.Length == 0)
        {
            return [];
        }

        var lines = text.Split('\n');
        return text.EndsWith('\n') ? lines[..^1] : lines;
    }

    /// <summary>A shortest edit script: common prefix and suffix trimmed, the middle by longest common subsequence.</summary>
    private static List<(char Kind, string Text, int OldLine, int NewLine)> Operations(string[] a, string[] b)
    {
        var prefix = 0;
        while (prefix < a.Length && prefix < b.Length && a[prefix] == b[prefix])
        {
            prefix++;
        }

        var suffix = 0;
        while (suffix < a.Length - prefix && suffix < b.Length - prefix && a[^(suffix + 1)] == b[^(suffix + 1)])
        {
            suffix++;
        }

        var ops = new List<(char, string, int, int)>();
        for (var k = 0; k < prefix; k++)
        {
            ops.Add((' ', a[k], k, k));
        }

        var n = a.Length - prefix - suffix;
        var m = b.Length - prefix - suffix;
        if ((long)n * m > MaxCells)
        {
            // Too large to align line by line: shown as the old middle removed and the new one added.
            for (var k = 0; k < n; k++)
            {
                ops.Add(('-', a[prefix + k], prefix + k, prefix));
            }

            for (var k = 0; k < m; k++)
            {
                ops.Add(('+', b[prefix + k], prefix + n, prefix + k));
            }
        }
        else
        {
            var lcs = new int[n + 1, m + 1];
            for (var x = n - 1; x >= 0; x--)
            {
                for (var y = m - 1; y >= 0; y--)
                {
                    lcs[x, y] = a[prefix + x] == b[prefix + y] ? lcs[x + 1, y + 1] + 1 : Math.Max(lcs[x + 1, y], lcs[x, y + 1]);
                }
            }

            int i = 0, j = 0;
            while (i < n || j < m)
            {
                if (i < n && j < m && a[prefix + i] == b[prefix + j])
                {
                    ops.Add((' ', a[prefix + i], prefix + i, prefix + j));
                    i++;
                    j++;
                }
                else if (i < n && (j == m || lcs[i + 1, j] >= lcs[i, j + 1]))
                {
                    ops.Add(('-', a[prefix + i], prefix + i, prefix + j));
                    i++;
                }
                else
                {
                    ops.Add(('+', b[prefix + j], prefix + i, prefix + j));
                    j++;
                }
            }
        }

        for (var k = 0; k < suffix; k++)
        {
            ops.Add((' ', a[a.Length - suffix + k], a.Length - suffix + k, b.Length - suffix + k));
        }

        return ops;
    }
}
