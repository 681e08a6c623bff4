using System.Text.RegularExpressions;

namespace Mnemo.Memory.Safety;

/// <summary>Finds what should not go into memory unchecked: instructions aimed at the model, fake conversation markers,
/// tool-call mimicry, hidden characters and secrets.</summary>
/// <remarks>
/// <para>Memory is read back into the model's context in every later session, so a note that says "ignore your
/// instructions" is a prompt injection that persists, and a key written down leaks with every read. The scanner runs on
/// the text a write adds (<c>file_text</c>, <c>new_str</c>, <c>insert_text</c>) and on whole files for
/// <c>mnemo memory scan</c>.</para>
/// <para>Rules are regular expressions compiled at build time, plus one pass over the characters for invisible ones.
/// Each rule knows how sure it is: a GitHub token's shape is <see cref="MemoryFindingConfidence.High"/>, "you are now in
/// developer mode" is <see cref="MemoryFindingConfidence.Medium"/>. The labelled corpus and its detection and
/// false-positive rates are in docs/security.md.</para>
/// <para>The scanner is stateless and thread-safe.</para>
/// </remarks>
public sealed partial class MemoryScanner
{
    private const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture;
    private const RegexOptions Words = Options | RegexOptions.IgnoreCase;

    private static readonly Rule[] Rules =
    [
        // Secrets: the formats the providers document. The "secret" group, when a rule has one, is what gets masked.
        new(MemoryFindingKind.Secret, "anthropic-api-key", MemoryFindingConfidence.High, AnthropicKey()),
        new(MemoryFindingKind.Secret, "openai-api-key", MemoryFindingConfidence.High, OpenAiKey()),
        new(MemoryFindingKind.Secret, "github-token", MemoryFindingConfidence.High, GitHubToken()),
        new(MemoryFindingKind.Secret, "aws-access-key-id", MemoryFindingConfidence.High, AwsAccessKeyId()),
        new(MemoryFindingKind.Secret, "aws-secret-access-key", MemoryFindingConfidence.High, AwsSecretKey()),
        new(MemoryFindingKind.Secret, "google-api-key", MemoryFindingConfidence.High, GoogleApiKey()),
        new(MemoryFindingKind.Secret, "google-oauth-client-secret", MemoryFindingConfidence.High, GoogleClientSecret()),
        new(MemoryFindingKind.Secret, "private-key", MemoryFindingConfidence.High, PrivateKey()),
        new(MemoryFindingKind.Secret, "private-key", MemoryFindingConfidence.High, PrivateKeyBody()),
        new(MemoryFindingKind.Secret, "jwt", MemoryFindingConfidence.High, Jwt()),
        new(MemoryFindingKind.Secret, "connection-string-password", MemoryFindingConfidence.High, ConnectionStringPassword(), IsRealPassword),
        new(MemoryFindingKind.Secret, "url-password", MemoryFindingConfidence.High, UrlPassword(), IsRealPassword),
        new(MemoryFindingKind.Secret, "slack-token", MemoryFindingConfidence.High, SlackToken()),
        new(MemoryFindingKind.Secret, "stripe-key", MemoryFindingConfidence.High, StripeKey()),
        new(MemoryFindingKind.Secret, "slack-webhook", MemoryFindingConfidence.High, SlackWebhook()),
        new(MemoryFindingKind.Secret, "discord-webhook", MemoryFindingConfidence.High, DiscordWebhook()),
        new(MemoryFindingKind.Secret, "telegram-bot-token", MemoryFindingConfidence.High, TelegramBotToken()),
        new(MemoryFindingKind.Secret, "gitlab-token", MemoryFindingConfidence.High, GitLabToken()),
        new(MemoryFindingKind.Secret, "npm-token", MemoryFindingConfidence.High, NpmToken()),
        new(MemoryFindingKind.Secret, "pypi-token", MemoryFindingConfidence.High, PyPiToken()),
        new(MemoryFindingKind.Secret, "nuget-api-key", MemoryFindingConfidence.High, NuGetApiKey()),
        new(MemoryFindingKind.Secret, "dockerhub-token", MemoryFindingConfidence.High, DockerHubToken()),
        new(MemoryFindingKind.Secret, "sendgrid-api-key", MemoryFindingConfidence.High, SendGridKey()),
        new(MemoryFindingKind.Secret, "mailgun-api-key", MemoryFindingConfidence.High, MailgunKey()),
        new(MemoryFindingKind.Secret, "mailchimp-api-key", MemoryFindingConfidence.High, MailchimpKey()),
        new(MemoryFindingKind.Secret, "stripe-webhook-secret", MemoryFindingConfidence.High, StripeWebhookSecret()),
        new(MemoryFindingKind.Secret, "shopify-token", MemoryFindingConfidence.High, ShopifyToken()),
        new(MemoryFindingKind.Secret, "square-token", MemoryFindingConfidence.High, SquareToken()),
        new(MemoryFindingKind.Secret, "braintree-token", MemoryFindingConfidence.High, BraintreeToken()),
        new(MemoryFindingKind.Secret, "huggingface-token", MemoryFindingConfidence.High, HuggingFaceToken()),
        new(MemoryFindingKind.Secret, "ai-api-key", MemoryFindingConfidence.High, GroqKey()),
        new(MemoryFindingKind.Secret, "ai-api-key", MemoryFindingConfidence.High, ReplicateToken()),
        new(MemoryFindingKind.Secret, "ai-api-key", MemoryFindingConfidence.High, PerplexityKey()),
        new(MemoryFindingKind.Secret, "ai-api-key", MemoryFindingConfidence.High, XaiKey()),
        new(MemoryFindingKind.Secret, "ai-api-key", MemoryFindingConfidence.High, OpenRouterKey()),
        new(MemoryFindingKind.Secret, "ai-api-key", MemoryFindingConfidence.High, FireworksKey()),
        new(MemoryFindingKind.Secret, "azure-storage-key", MemoryFindingConfidence.High, AzureStorageKey()),
        new(MemoryFindingKind.Secret, "azure-sas-signature", MemoryFindingConfidence.High, AzureSasSignature()),
        new(MemoryFindingKind.Secret, "azure-client-secret", MemoryFindingConfidence.High, AzureClientSecret()),
        new(MemoryFindingKind.Secret, "digitalocean-token", MemoryFindingConfidence.High, DigitalOceanToken()),
        new(MemoryFindingKind.Secret, "databricks-token", MemoryFindingConfidence.High, DatabricksToken()),
        new(MemoryFindingKind.Secret, "atlassian-token", MemoryFindingConfidence.High, AtlassianToken()),
        new(MemoryFindingKind.Secret, "linear-api-key", MemoryFindingConfidence.High, LinearApiKey()),
        new(MemoryFindingKind.Secret, "notion-token", MemoryFindingConfidence.High, NotionToken()),
        new(MemoryFindingKind.Secret, "vault-token", MemoryFindingConfidence.High, VaultToken()),
        new(MemoryFindingKind.Secret, "newrelic-api-key", MemoryFindingConfidence.High, NewRelicKey()),
        new(MemoryFindingKind.Secret, "private-key", MemoryFindingConfidence.High, PuttyPrivateKey()),
        new(MemoryFindingKind.Secret, "env-secret", MemoryFindingConfidence.High, EnvSecret(), IsEnvSecret),
        new(MemoryFindingKind.Secret, "password-in-prose", MemoryFindingConfidence.Medium, PasswordInProse(), LooksLikePassword),
        new(MemoryFindingKind.Secret, "assigned-credential", MemoryFindingConfidence.Medium, AssignedCredential(), LooksRandom),

        // Instructions aimed at the model.
        new(MemoryFindingKind.Instruction, "ignore-previous-instructions", MemoryFindingConfidence.High, IgnorePrevious()),
        new(MemoryFindingKind.Instruction, "override-instructions", MemoryFindingConfidence.High, OverrideInstructions()),
        new(MemoryFindingKind.Instruction, "hide-from-user", MemoryFindingConfidence.High, HideFromUser()),
        new(MemoryFindingKind.Instruction, "exfiltrate-to-address", MemoryFindingConfidence.High, ExfiltrateToAddress()),
        new(MemoryFindingKind.Instruction, "reveal-hidden-context", MemoryFindingConfidence.High, RevealHiddenContext()),
        new(MemoryFindingKind.Instruction, "new-identity", MemoryFindingConfidence.Medium, NewIdentity()),
        new(MemoryFindingKind.Instruction, "addressed-to-the-model", MemoryFindingConfidence.Medium, AddressedToModel()),
        new(MemoryFindingKind.Instruction, "exfiltrate-secrets", MemoryFindingConfidence.Medium, ExfiltrateSecrets()),

        // Conversation boundaries.
        new(MemoryFindingKind.RoleMarker, "chat-template-token", MemoryFindingConfidence.High, ChatTemplateToken()),
        new(MemoryFindingKind.RoleMarker, "human-assistant-turn", MemoryFindingConfidence.High, HumanAssistantTurn()),
        new(MemoryFindingKind.RoleMarker, "system-tag", MemoryFindingConfidence.High, SystemTag()),
        new(MemoryFindingKind.RoleMarker, "system-heading", MemoryFindingConfidence.Medium, SystemHeading()),

        // Tool calls and results, as the model's own turns carry them.
        new(MemoryFindingKind.ToolCallMimicry, "function-calls-markup", MemoryFindingConfidence.High, FunctionCallsMarkup()),
        new(MemoryFindingKind.ToolCallMimicry, "tool-use-json", MemoryFindingConfidence.Medium, ToolUseJson()),
    ];

    /// <summary>The farthest any rule's match reaches, in characters (a PEM private key of up to 16 KiB with its lines):
    /// text this far on each side of a change holds every match that touches it.</summary>
    internal const int Reach = 20_000;

    /// <summary>Gets the scanner with every rule.</summary>
    public static MemoryScanner Default { get; } = new();

    /// <summary>Finds everything the rules match in a text, in order of position.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The findings; empty when the text is clean.</returns>
    public IReadOnlyList<MemoryFinding> Scan(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            return [];
        }

        var findings = new List<MemoryFinding>();
        foreach (var rule in Rules)
        {
            foreach (Match match in rule.Pattern.Matches(text))
            {
                // "secret": only that part is the secret; "head": the secret starts there, before the match (a rule led by a
                // literal further in, with what comes before it in a look-behind, so the engine searches for the literal).
                var secret = match.Groups["secret"];
                var head = match.Groups["head"];
                var (start, length, value) = secret.Success ? (secret.Index, secret.Length, secret.Value)
                    : head.Success ? (head.Index, match.Index + match.Length - head.Index, text[head.Index..(match.Index + match.Length)])
                    : (match.Index, match.Length, match.Value);
                if (rule.Accept is null || rule.Accept(match, value))
                {
                    findings.Add(new MemoryFinding(rule.Kind, rule.Name, start, length, rule.Confidence));
                }
            }
        }

        FindHiddenCharacters(text, findings);
        // Stable: of two findings of one span, the rule listed first (the more specific) comes first and stays.
        var ordered = findings.OrderBy(finding => finding.Start).ThenByDescending(finding => finding.Length).ToList();
        DropNested(ordered);
        return ordered;
    }

    /// <summary>Masks every secret found, keeping a few characters that say what it was: <c>sk-ant-…[redacted]</c>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="findings">The findings in it, from <see cref="Scan"/>.</param>
    /// <returns>The text with each secret masked; the same text when there is none.</returns>
    public static string Redact(string text, IEnumerable<MemoryFinding> findings)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(findings);
        var secrets = findings.Where(finding => finding.Kind == MemoryFindingKind.Secret).OrderBy(finding => finding.Start).ToList();
        if (secrets.Count == 0)
        {
            return text;
        }

        var builder = new System.Text.StringBuilder(text.Length);
        var at = 0;
        foreach (var secret in secrets)
        {
            if (secret.Start < at)
            {
                continue; // inside one already masked
            }

            builder.Append(text, at, secret.Start - at);
            var kept = secret.Rule is "private-key" ? 0 : Math.Min(secret.Length / 5, secret.Rule.Contains("password", StringComparison.Ordinal) ? 0 : 7);
            builder.Append(text, secret.Start, kept).Append("[redacted ").Append(secret.Rule).Append(']');
            at = secret.Start + secret.Length;
        }

        return builder.Append(text, at, text.Length - at).ToString();
    }

    /// <summary>Drops a secret wholly inside an earlier one (a PEM body inside its block, a password two rules find): one
    /// secret, one finding.</summary>
    private static void DropNested(List<MemoryFinding> findings)
    {
        for (var i = findings.Count - 1; i > 0; i--)
        {
            var inner = findings[i];
            if (inner.Kind != MemoryFindingKind.Secret)
            {
                continue;
            }

            for (var j = i - 1; j >= 0 && findings[j].Start >= inner.Start - Reach; j--)
            {
                var outer = findings[j];
                if (outer.Kind == MemoryFindingKind.Secret && outer.Start <= inner.Start && outer.Start + outer.Length >= inner.Start + inner.Length)
                {
                    findings.RemoveAt(i);
                    break;
                }
            }
        }
    }

    private static void FindHiddenCharacters(string text, List<MemoryFinding> findings)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var (rule, confidence) = c switch
            {
                '\u202A' or '\u202B' or '\u202C' or '\u202D' or '\u202E' or '\u2066' or '\u2067' or '\u2068' or '\u2069' => ("bidirectional-control", MemoryFindingConfidence.High),
                '\u200B' or '\u200C' or '\u200D' or '\u2060' or '\u2061' or '\u2062' or '\u2063' or '\u2064' or '\u180E' => ("zero-width", MemoryFindingConfidence.Medium),
                '\u200E' or '\u200F' => ("direction-mark", MemoryFindingConfidence.Low),
                '\uFEFF' when i > 0 => ("zero-width", MemoryFindingConfidence.Medium),
                // Unicode tag characters (U+E0000–U+E007F) spell ASCII no one sees: the classic way to smuggle instructions.
                '\uDB40' when i + 1 < text.Length && text[i + 1] is >= '\uDC00' and <= '\uDC7F' => ("unicode-tag", MemoryFindingConfidence.High),
                _ => (null, MemoryFindingConfidence.Low),
            };
            if (rule is null)
            {
                continue;
            }

            // A run of the same rule is one finding.
            var start = i;
            var width = rule == "unicode-tag" ? 2 : 1;
            while (i + width < text.Length && SameRun(text, i + width, rule))
            {
                i += width;
            }

            findings.Add(new MemoryFinding(MemoryFindingKind.HiddenCharacter, rule, start, i + width - start, confidence));
            i += width - 1;
        }
    }

    private static bool SameRun(string text, int at, string rule) => rule switch
    {
        "unicode-tag" => text[at] == '\uDB40' && at + 1 < text.Length && text[at + 1] is >= '\uDC00' and <= '\uDC7F',
        "bidirectional-control" => text[at] is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069',
        "zero-width" => text[at] is '\u200B' or '\u200C' or '\u200D' or '\uFEFF' or >= '\u2060' and <= '\u2064',
        _ => false,
    };

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

    // A name rather than a value: dotted members, CONSTANT_CASE, snake_case with an underscore, camelCase without digits.
    [GeneratedRegex(@"^(?:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{2,}|[a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z]+(?:[A-Z][a-z]+)+)$", Options)]
    private static partial Regex Identifier();

    [GeneratedRegex(@"\bsk-ant-[a-z]{2,10}\d{0,3}-[A-Za-z0-9_\-]{20,}", Options)]
    private static partial Regex AnthropicKey();

    [GeneratedRegex(@"\bsk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{20,}T3BlbkFJ[A-Za-z0-9_\-]{20,}|\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,}|\bsk-[A-Za-z0-9]{48}\b", Options)]
    private static partial Regex OpenAiKey();

    [GeneratedRegex(@"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}\b|\bgithub_pat_[A-Za-z0-9_]{50,255}\b", Options)]
    private static partial Regex GitHubToken();

    [GeneratedRegex(@"\b(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|AIPA|ANPA|ANVA|AGPA)[A-Z2-7]{16}\b", Options)]
    private static partial Regex AwsAccessKeyId();

    [GeneratedRegex(@"(?i:aws)[A-Za-z_ .\-]{0,20}(?i:secret)[A-Za-z_ .\-]{0,20}(?:key)?[""']?\s*[:=]\s*[""']?(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])", Options)]
    private static partial Regex AwsSecretKey();

    [GeneratedRegex(@"\bAIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])", Options)]
    private static partial Regex GoogleApiKey();

    [GeneratedRegex(@"\bGOCSPX-[A-Za-z0-9_\-]{28}(?![A-Za-z0-9_\-])", Options)]
    private static partial Regex GoogleClientSecret();

    [GeneratedRegex(@"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]{0,16384}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)?", Options)]
    private static partial Regex PrivateKey();

    // The base64 of a private key without its BEGIN line: the DER of PKCS#1 (RSA), SEC1 (EC), PKCS#8 and OpenSSH keys
    // starts with a version number that certificates and public keys do not have.
    [GeneratedRegex(@"(?<![A-Za-z0-9+/])(?:MII[A-Za-z0-9+/]{2}[AQgw]IB(?:AAK|AD)|MIG[A-Za-z0-9+/]AgE[AB]|MHcCAQEE|MC4CAQAw|MFECAQEw|MIHcAgEBBE|b3BlbnNzaC1rZXktdjE)[A-Za-z0-9+/=]{20,}(?:\r?\n[A-Za-z0-9+/=]{1,128}){0,150}", Options)]
    private static partial Regex PrivateKeyBody();

    [GeneratedRegex(@"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}", Options)]
    private static partial Regex Jwt();

    [GeneratedRegex(@"(?i:\b(?:password|pwd|passwd)\s*=\s*)(?<secret>""[^""\r\n]+""|'[^'\r\n]+'|[^;""'\s]+)(?=\s*(?:;|$|""|'|\s))", Options | RegexOptions.Multiline)]
    private static partial Regex ConnectionStringPassword();

    // Led by "://", which the engine finds with a vectorised search; the scheme is checked looking back from there.
    [GeneratedRegex(@"(?<=\b[a-zA-Z][a-zA-Z0-9+.\-]{1,20})://[^/\s:@""'<>]{0,128}:(?<secret>[^/\s@""'<>]{1,256})@[^\s/""'<>]", Options)]
    private static partial Regex UrlPassword();

    [GeneratedRegex(@"https://hooks\.slack\.com/(?:services|workflows|triggers)/T[A-Z0-9]{6,}/[A-Z0-9]{6,}/[A-Za-z0-9]{20,}", Options)]
    private static partial Regex SlackWebhook();

    [GeneratedRegex(@"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d{15,20}/[A-Za-z0-9_\-]{60,}", Options)]
    private static partial Regex DiscordWebhook();

    [GeneratedRegex(@"(?<=(?<head>(?<![\w:])\d{8,10})):AA[A-Za-z0-9_\-]{33}(?![A-Za-z0-9_\-])", Options)]
    private static partial Regex TelegramBotToken();

    [GeneratedRegex(@"\b(?:glpat|glptt|gldt|glrt|glsoat|glcbt|gloas)-[A-Za-z0-9_\-]{20,}", Options)]
    private static partial Regex GitLabToken();

    [GeneratedRegex(@"\bnpm_[A-Za-z0-9]{36}\b", Options)]
    private static partial Regex NpmToken();

    [GeneratedRegex(@"\bpypi-AgE[A-Za-z0-9_\-]{50,}", Options)]
    private static partial Regex PyPiToken();

    [GeneratedRegex(@"\boy2[a-z0-9]{43}\b", Options)]
    private static partial Regex NuGetApiKey();

    [GeneratedRegex(@"\bdckr_(?:pat|oat)_[A-Za-z0-9_\-]{24,}", Options)]
    private static partial Regex DockerHubToken();

    [GeneratedRegex(@"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}\b", Options)]
    private static partial Regex SendGridKey();

    [GeneratedRegex(@"\bkey-[0-9a-z]{32}\b", Options)]
    private static partial Regex MailgunKey();

    [GeneratedRegex(@"(?<=(?<head>\b[0-9a-f]{32}))-us\d{1,2}\b", Options)]
    private static partial Regex MailchimpKey();

    [GeneratedRegex(@"\bwhsec_[A-Za-z0-9+/]{32,}", Options)]
    private static partial Regex StripeWebhookSecret();

    [GeneratedRegex(@"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b", Options)]
    private static partial Regex ShopifyToken();

    [GeneratedRegex(@"\b(?:sq0atp|sq0csp)-[0-9A-Za-z_\-]{22,43}|\bEAAA[A-Za-z0-9_\-]{60}\b", Options)]
    private static partial Regex SquareToken();

    [GeneratedRegex(@"\baccess_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}\b", Options)]
    private static partial Regex BraintreeToken();

    [GeneratedRegex(@"\bhf_[A-Za-z]{34,40}\b", Options)]
    private static partial Regex HuggingFaceToken();

    // Groq, Replicate, Perplexity, xAI, OpenRouter, Fireworks: the AI APIs whose keys have a prefix of their own, one
    // regex each so that each is led by its literal.
    [GeneratedRegex(@"\bgsk_[A-Za-z0-9]{52}\b", Options)]
    private static partial Regex GroqKey();

    [GeneratedRegex(@"\br8_[A-Za-z0-9]{37}\b", Options)]
    private static partial Regex ReplicateToken();

    [GeneratedRegex(@"\bpplx-[A-Za-z0-9]{48}\b", Options)]
    private static partial Regex PerplexityKey();

    [GeneratedRegex(@"\bxai-[A-Za-z0-9]{80}\b", Options)]
    private static partial Regex XaiKey();

    [GeneratedRegex(@"\bsk-or-v1-[a-f0-9]{64}\b", Options)]
    private static partial Regex OpenRouterKey();

    [GeneratedRegex(@"\bfw_[A-Za-z0-9]{24,}\b", Options)]
    private static partial Regex FireworksKey();

    [GeneratedRegex(@"(?i:\b(?:AccountKey|SharedAccessKey)\s*=\s*)(?<secret>[A-Za-z0-9+/]{40,88}={0,2})", Options)]
    private static partial Regex AzureStorageKey();

    [GeneratedRegex(@"[?&]sv=\d{4}-\d{2}-\d{2}&[^\s""'<>]*?\bsig=(?<secret>[A-Za-z0-9%+/]{40,}={0,2})", Options)]
    private static partial Regex AzureSasSignature();

    [GeneratedRegex(@"(?<=(?<head>(?<![A-Za-z0-9_~.\-])[A-Za-z0-9_~.\-]{3}\d))Q~[A-Za-z0-9_~.\-]{31,34}(?![A-Za-z0-9_~.\-])", Options)]
    private static partial Regex AzureClientSecret();

    [GeneratedRegex(@"\bdo[por]_v1_[a-f0-9]{64}\b", Options)]
    private static partial Regex DigitalOceanToken();

    [GeneratedRegex(@"\bdapi[a-f0-9]{32}(?:-\d)?\b", Options)]
    private static partial Regex DatabricksToken();

    [GeneratedRegex(@"\bATATT3[A-Za-z0-9_\-=]{150,}", Options)]
    private static partial Regex AtlassianToken();

    [GeneratedRegex(@"\blin_(?:api|oauth)_[A-Za-z0-9]{40}\b", Options)]
    private static partial Regex LinearApiKey();

    [GeneratedRegex(@"\bntn_[0-9]{11}[A-Za-z0-9]{32,35}\b|\bsecret_[A-Za-z0-9]{43}\b", Options)]
    private static partial Regex NotionToken();

    [GeneratedRegex(@"\bhv[sbr]\.[A-Za-z0-9_\-]{24,}", Options)]
    private static partial Regex VaultToken();

    [GeneratedRegex(@"\bNRAK-[A-Z0-9]{27}\b", Options)]
    private static partial Regex NewRelicKey();

    [GeneratedRegex(@"PuTTY-User-Key-File-\d: [^\r\n]+(?:\r?\n[^\r\n]*){0,40}?\r?\nPrivate-Lines: \d+(?:\r?\n[A-Za-z0-9+/=]{1,128}){1,60}", Options)]
    private static partial Regex PuttyPrivateKey();

    // A .env line: a name in capitals, then a value written out; the name must say secret (IsEnvSecret). Led by the '=',
    // with the name and the line's start in a look-behind: a line-start-led pattern costs twenty times as much.
    [GeneratedRegex(@"(?<=^[ \t]*(?:export[ \t]+)?(?<name>[A-Z][A-Z0-9_]{0,60})[ \t]*)=[ \t]*(?<secret>""[^""\r\n]{4,}""|'[^'\r\n]{4,}'|[^\s#""']{4,})", Options | RegexOptions.Multiline)]
    private static partial Regex EnvSecret();

    [GeneratedRegex(@"(?:SECRET|PASSWORD|PASSWD|PWD|PASSPHRASE|TOKEN|CREDENTIALS?|(?:API|SECRET|PRIVATE|ACCESS|SIGNING|ENCRYPTION|MASTER|ACCOUNT|AUTH|APP|CLIENT|SERVICE|LICENSE)_?KEY)(?:_[A-Z0-9]{1,3})?$", Options)]
    private static partial Regex SecretName();

    [GeneratedRegex(@"(?i:\b(?:password|passphrase|passcode|passwd|pw)\b(?:\s+(?:for|of|to|on)\s+[^:=\n]{1,40}?)?\s*(?:is|was|:|=)\s*)[`""']?(?<secret>[^\s`""';]{6,64})", Options)]
    private static partial Regex PasswordInProse();

    [GeneratedRegex(@"\bxox[baprs]-[A-Za-z0-9\-]{10,}", Options)]
    private static partial Regex SlackToken();

    [GeneratedRegex(@"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,}", Options)]
    private static partial Regex StripeKey();

    [GeneratedRegex(@"(?i:\b(?:api[_\-]?key|secret(?:[_\-]?key)?|access[_\-]?token|auth[_\-]?token|client[_\-]?secret|password|passwd)\b[""']?\s*[:=]\s*[""']?)(?<secret>[A-Za-z0-9_\-+/=.]{16,})", Options)]
    private static partial Regex AssignedCredential();

    [GeneratedRegex(@"\b(?:ignore|disregard|forget|skip|drop)\s+(?:all\s+|any\s+|the\s+|your\s+|of\s+)*(?:previous|prior|above|earlier|preceding|former|existing|original|system)\s+(?:instructions?|prompts?|messages?|rules|directions|guidelines|context|commands)", Words)]
    private static partial Regex IgnorePrevious();

    [GeneratedRegex(@"\b(?:override|bypass|disable|circumvent)\s+(?:all\s+|any\s+|the\s+|your\s+)*(?:safety\s+|system\s+|previous\s+)*(?:instructions|rules|guidelines|guardrails|restrictions|filters|system\s+prompt)\b|\bnew\s+(?:system\s+)?instructions\s*:|\bfrom\s+now\s+on,?\s+(?:you\s+(?:must|will|should|are)|always|never|ignore)", Words)]
    private static partial Regex OverrideInstructions();

    [GeneratedRegex(@"\b(?:do\s+not|don't|never)\s+(?:tell|inform|mention\s+(?:this\s+|it\s+)?to|reveal\s+(?:this\s+|it\s+)?to|let)\s+the\s+user\b|\bwithout\s+(?:telling|informing|notifying|alerting)\s+the\s+user\b|\b(?:keep|hide)\s+(?:this|it)\s+(?:secret\s+)?from\s+the\s+user\b", Words)]
    private static partial Regex HideFromUser();

    [GeneratedRegex(@"\b(?:send|post|upload|forward|transmit|exfiltrate|leak|email|submit)\b[^.\n]{0,80}\b(?:api\s*keys?|secrets?|credentials?|passwords?|tokens?|env(?:ironment)?\s+variables|\.env|ssh\s+keys?|system\s+prompt|conversation|chat\s+history|memory|memories|files?)\b[^.\n]{0,60}\b(?:to|at|via)\s+(?:https?://|[\w.-]+@[\w-]+\.[\w.]+|(?:this|the\s+following|my|our)\s+(?:url|endpoint|server|address|webhook))", Words)]
    private static partial Regex ExfiltrateToAddress();

    [GeneratedRegex(@"\b(?:print|reveal|output|repeat|show|dump|leak)\s+(?:me\s+)?(?:your|the)\s+(?:full\s+|entire\s+|original\s+|hidden\s+)*(?:system\s+prompt|initial\s+instructions|hidden\s+instructions|instructions\s+above)\b", Words)]
    private static partial Regex RevealHiddenContext();

    [GeneratedRegex(@"\byou\s+are\s+now\s+(?:in\s+)?(?:a\s+|an\s+)?(?:unrestricted|jailbroken|developer\s+mode|dan\b|evil|uncensored|no\s+longer)|\b(?:act|pretend)\s+as\s+(?:if\s+you\s+(?:are|were)\s+)?(?:an?\s+)?(?:unrestricted|jailbroken|uncensored)\b|\benter\s+(?:developer|god|admin)\s+mode\b", Words)]
    private static partial Regex NewIdentity();

    [GeneratedRegex(@"\b(?:note|message|instructions?)\s+(?:to|for)\s+(?:the\s+|any\s+)?(?:ai|assistant|model|llm|claude|agent)\b\s*[:\-]|\b(?:to|attention)\s+(?:the\s+|any\s+)?(?:ai|llm|language\s+model)\s+(?:reading|processing)\s+this\b|\bif\s+you\s+are\s+(?:an?\s+)?(?:ai|llm|language\s+model|assistant)\s+reading\s+this\b", Words)]
    private static partial Regex AddressedToModel();

    [GeneratedRegex(@"\b(?:send|post|upload|forward|exfiltrate|leak|email)\s+(?:all\s+|every\s+|any\s+|the\s+|your\s+)*(?:api\s*keys?|secrets|credentials|passwords|tokens|env(?:ironment)?\s+variables|ssh\s+keys?)\b", Words)]
    private static partial Regex ExfiltrateSecrets();

    [GeneratedRegex(@"<\|(?:im_start|im_end|im_sep|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id|begin_of_text)\|>|\[/?INST\]|<</?SYS>>", Options)]
    private static partial Regex ChatTemplateToken();

    [GeneratedRegex(@"\n[ \t\r]*\n(?:Human|Assistant|H|A):\s|^\r?\n(?:Human|Assistant|H|A):\s", Options)]
    private static partial Regex HumanAssistantTurn();

    [GeneratedRegex(@"</?(?:system|system[-_]prompt|system[-_]reminder|system[-_]message|instructions|admin[-_]instructions)(?:\s[^>]{0,80})?>", Words)]
    private static partial Regex SystemTag();

    [GeneratedRegex(@"^(?:#{1,6}\s*)?(?:\[SYSTEM\]|SYSTEM\s*(?:PROMPT|MESSAGE|OVERRIDE|NOTICE)?\s*:)", Options | RegexOptions.Multiline)]
    private static partial Regex SystemHeading();

    [GeneratedRegex(@"</?(?:antml:)?(?:function_calls|function_results|invoke|parameter\s+name=|tool_use|tool_result|tool_call)\b[^>]{0,80}>", Words)]
    private static partial Regex FunctionCallsMarkup();

    [GeneratedRegex(@"""type""\s*:\s*""(?:tool_use|tool_result|function_call)""|""tool_calls""\s*:\s*\[", Options)]
    private static partial Regex ToolUseJson();

    private sealed record Rule(MemoryFindingKind Kind, string Name, MemoryFindingConfidence Confidence, Regex Pattern, Func<Match, string, bool>? Accept = null);
}
