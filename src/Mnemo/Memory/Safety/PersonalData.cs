namespace Mnemo.Memory.Safety;

/// <summary>The checks that tell personal data from numbers and addresses that only look like it: checksums, validity
/// rules, and the examples and test values that documentation and notes quote.</summary>
internal static class PersonalData
{
    /// <summary>Card numbers the payment providers publish for tests: quoting one is not personal data.</summary>
    private static readonly HashSet<string> TestCards =
    [
        "4242424242424242", "4000056655665556", "4111111111111111", "4012888888881881", "4000000000000002", "4000000000009995", "4000002500003155",
        "4000000000000077", "4000000000003220", "4222222222222", "5555555555554444", "2223003122003222", "5200828282828210", "5105105105105100",
        "378282246310005", "371449635398431", "378734493671000", "6011111111111117", "6011000990139424", "3056930009020004", "36227206271667",
        "3566002020360505", "6200000000000005", "4988438843884305", "5454545454545454", "4444333322221111",
    ];

    /// <summary>The example IBANs of the standard and the banks' documentation.</summary>
    private static readonly HashSet<string> ExampleIbans =
    [
        "DE89370400440532013000", "GB82WEST12345698765432", "GB29NWBK60161331926819", "GB33BUKB20201555555555", "FR1420041010050500013M02606",
        "FR7630006000011234567890189", "NL91ABNA0417164300", "ES9121000418450200051332", "IT60X0542811101000000123456", "CH9300762011623852957",
        "BE68539007547034", "AT611904300234573201",
    ];

    /// <summary>Mailboxes of a role, not a person: support, sales, no-reply, git hosts' ssh user, and the like.</summary>
    private static readonly HashSet<string> RoleMailboxes = new(StringComparer.OrdinalIgnoreCase)
    {
        "support", "help", "helpdesk", "info", "sales", "contact", "hello", "team", "admin", "administrator", "security", "privacy", "legal", "abuse",
        "postmaster", "hostmaster", "webmaster", "noreply", "no-reply", "donotreply", "do-not-reply", "notifications", "notification", "billing", "accounts",
        "feedback", "jobs", "careers", "press", "media", "marketing", "ops", "devops", "dev", "engineering", "ci", "bot", "git", "github", "root", "office",
        "service", "customerservice", "customer-service", "orders", "mailer-daemon", "dependabot", "renovate",
    };

    /// <summary>Domains kept for examples and tests (RFC 2606, RFC 6761), and hosts that are not on the internet.</summary>
    private static bool IsExampleDomain(string domain)
    {
        var lower = domain.ToLowerInvariant();
        return lower is "example.com" or "example.org" or "example.net" or "localhost" || lower.EndsWith(".example", StringComparison.Ordinal) ||
            lower.EndsWith(".example.com", StringComparison.Ordinal) || lower.EndsWith(".example.org", StringComparison.Ordinal) ||
            lower.EndsWith(".example.net", StringComparison.Ordinal) || lower.EndsWith(".test", StringComparison.Ordinal) ||
            lower.EndsWith(".invalid", StringComparison.Ordinal) || lower.EndsWith(".localhost", StringComparison.Ordinal) ||
            lower.EndsWith(".local", StringComparison.Ordinal) || lower.EndsWith(".internal", StringComparison.Ordinal) ||
            lower.EndsWith("users.noreply.github.com", StringComparison.Ordinal);
    }

    public static bool IsPersonalEmail(System.Text.RegularExpressions.Match match, string value)
    {
        var at = value.IndexOf('@', StringComparison.Ordinal);
        var (local, domain) = (value[..at], value[(at + 1)..]);
        var mailbox = local.Split('+')[0];
        return !RoleMailboxes.Contains(mailbox) && !IsExampleDomain(domain) && !local.StartsWith("user", StringComparison.OrdinalIgnoreCase) &&
            mailbox is not ("you" or "your.name" or "name" or "firstname.lastname" or "jane.doe" or "john.doe" or "someone" or "me");
    }

    public static bool IsPhone(System.Text.RegularExpressions.Match match, string value)
    {
        var digits = new string([.. value.Where(char.IsAsciiDigit)]);
        if (digits.Length is < 8 or > 15)
        {
            return false;
        }

        // Numbers set aside for fiction and examples: North America's 555-0100 to 555-0199, the UK's 020 7946 0xxx,
        // Australia's 0491 570 xxx.
        var national = value.StartsWith("+1", StringComparison.Ordinal) ? digits[1..] : digits;
        return !(national.Length == 10 && national[3..6] == "555") && !digits.StartsWith("442079460", StringComparison.Ordinal) &&
            !digits.StartsWith("61491570", StringComparison.Ordinal) && digits.Distinct().Count() > 2;
    }

    public static bool IsCard(System.Text.RegularExpressions.Match match, string value)
    {
        var digits = new string([.. value.Where(char.IsAsciiDigit)]);
        if (digits.Length is < 13 or > 19 || TestCards.Contains(digits) || digits.Distinct().Count() <= 2)
        {
            return false;
        }

        // The networks' prefixes: Visa 4, Mastercard 51–55 and 2221–2720, Amex 34 and 37, Discover 6011 and 65, UnionPay 62, JCB 35.
        var known = digits[0] == '4' || digits[..2] is "51" or "52" or "53" or "54" or "55" or "34" or "37" or "65" or "62" or "35" ||
            digits.StartsWith("6011", StringComparison.Ordinal) || int.Parse(digits[..4], System.Globalization.CultureInfo.InvariantCulture) is >= 2221 and <= 2720;
        return known && Luhn(digits);
    }

    public static bool IsIban(System.Text.RegularExpressions.Match match, string value)
    {
        var iban = value.Replace(" ", string.Empty, StringComparison.Ordinal);
        if (iban.Length is < 15 or > 34 || ExampleIbans.Contains(iban) || !iban[4..].Any(char.IsAsciiDigit))
        {
            return false;
        }

        // ISO 13616: the country and check digits moved to the end, letters as 10–35, the number mod 97 is 1.
        var remainder = 0;
        foreach (var c in iban[4..] + iban[..4])
        {
            var digit = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiLetterUpper(c) ? c - 'A' + 10 : -1;
            if (digit < 0)
            {
                return false;
            }

            remainder = digit >= 10 ? ((remainder * 100) + digit) % 97 : ((remainder * 10) + digit) % 97;
        }

        return remainder == 1;
    }

    public static bool IsSsn(System.Text.RegularExpressions.Match match, string value)
    {
        var (area, group, serial) = (value[..3], value[4..6], value[7..]);
        return area is not ("000" or "666") && area[0] != '9' && group != "00" && serial != "0000" &&
            value is not ("123-45-6789" or "078-05-1120" or "219-09-9999" or "111-11-1111");
    }

    private static bool Luhn(string digits)
    {
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var digit = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1)
            {
                digit = digit * 2 > 9 ? (digit * 2) - 9 : digit * 2;
            }

            sum += digit;
        }

        return sum % 10 == 0;
    }
}
