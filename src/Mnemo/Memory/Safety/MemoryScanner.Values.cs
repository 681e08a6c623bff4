using System.Text.RegularExpressions;

namespace Mnemo.Memory.Safety;

/// <summary>What tells a secret's value from code, a placeholder or a word: the checks rules run on what they match.</summary>
public sealed partial class MemoryScanner
{
    private static bool IsRealPassword(Match match, string value) => IsRealPassword(value);

    /// <summary>A <c>.env</c> value whose name says secret (<c>DB_PASSWORD</c>, <c>STRIPE_API_KEY</c>), written out.</summary>
    private static bool IsEnvSecret(Match match, string value) => SecretName().IsMatch(match.Groups["name"].ValueSpan) && IsRealPassword(value);

    /// <summary>A password that is a value written out, not a placeholder such as <c>***</c>, <c>&lt;password&gt;</c> or
    /// <c>${PGPASSWORD}</c>, nor an expression that computes one at run time (see <see cref="IsLiteral"/>).</summary>
    private static bool IsRealPassword(string value)
    {
        if (!IsLiteral(value))
        {
            return false;
        }

        var trimmed = value.Trim('"', '\'');
        if (trimmed.Length < 4 || trimmed.All(c => c is '*' or 'x' or 'X' or '.' or '•'))
        {
            return false;
        }

        return !(trimmed.StartsWith('<') || trimmed.StartsWith('{') || trimmed.StartsWith('$') || trimmed.StartsWith('%') ||
            trimmed.StartsWith('[') || trimmed.Contains("password", StringComparison.OrdinalIgnoreCase) ||
            trimmed.Equals("secret", StringComparison.OrdinalIgnoreCase) || trimmed.Equals("pass", StringComparison.OrdinalIgnoreCase) ||
            trimmed.Equals("changeme", StringComparison.OrdinalIgnoreCase) || trimmed.Equals("redacted", StringComparison.OrdinalIgnoreCase) ||
            trimmed.StartsWith("your", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Whether an assigned value is written out, as a secret would be, rather than computed: a call, an index, an
    /// environment lookup, a member (<c>settings.DB_PASSWORD</c>), a constant's or a variable's name
    /// (<c>DB_PASSWORD</c>, <c>db_password</c>, <c>userPassword</c>), a keyword (<c>None</c>, <c>null</c>), or a template
    /// (<c>${…}</c>, <c>{{…}}</c>, <c>%(…)s</c>). A quoted value is written out unless it is a template.</summary>
    private static bool IsLiteral(string value)
    {
        if (value.Length >= 2 && value[0] is '"' or '\'' or '`' && value[^1] == value[0])
        {
            var inner = value[1..^1];
            return value[0] != '`' && !inner.Contains("${", StringComparison.Ordinal) && !inner.Contains("{{", StringComparison.Ordinal) &&
                !inner.Contains("#{", StringComparison.Ordinal) && !inner.Contains("%(", StringComparison.Ordinal) && !inner.Contains("$(", StringComparison.Ordinal);
        }

        if (value.AsSpan().IndexOfAny("([{$%`") >= 0 || value is "None" or "null" or "nil" or "undefined" or "true" or "false" or "True" or "False" or "NULL")
        {
            return false;
        }

        return !Identifier().IsMatch(value);
    }

    /// <summary>A password named in prose that looks like one: written out, letters with digits or symbols, not a word.</summary>
    private static bool LooksLikePassword(Match match, string value) => LooksLikePassword(value);

    private static bool LooksLikePassword(string value)
    {
        var trimmed = value.TrimEnd('.', ',', ';', ')');
        return trimmed.Length >= 6 && IsRealPassword(trimmed) && trimmed.Any(char.IsLetter) && trimmed.Any(c => !char.IsLetter(c)) &&
            !trimmed.StartsWith("http", StringComparison.OrdinalIgnoreCase) && !trimmed.Contains('/');
    }

    /// <summary>A value that looks generated (long, letters and digits mixed), not a word or a placeholder.</summary>
    private static bool LooksRandom(Match match, string value) => LooksRandom(value);

    private static bool LooksRandom(string value)
    {
        if (value.Length < 16 || !IsRealPassword(value))
        {
            return false;
        }

        var classes = (value.Any(char.IsAsciiLetterLower) ? 1 : 0) + (value.Any(char.IsAsciiLetterUpper) ? 1 : 0) + (value.Any(char.IsAsciiDigit) ? 1 : 0);
        return classes >= 2 && value.Any(char.IsAsciiDigit) && value.Distinct().Count() >= Math.Min(12, value.Length * 2 / 3);
    }
}
