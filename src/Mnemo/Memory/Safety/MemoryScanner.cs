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

    // Declared before the rules: static fields are set in the order they are written, and the rules use these.
    /// <summary>The nouns "ignore the previous instructions" ends with, in the Latin-script languages the rule reads.</summary>
    private static readonly System.Buffers.SearchValues<string> InstructionNouns = System.Buffers.SearchValues.Create(
        ["anweisung", "instruk", "befehl", "vorgabe", "instruc", "instru", "indicac", "rdenes", "consigne", "directive", "diretri", "orienta", "istruz", "indicaz",
         "polecen", "perintah", "arahan", "talimat"],
        StringComparison.OrdinalIgnoreCase); // ASCII only: one letter past ASCII makes the search forty times slower

    /// <summary>The verbs of "ignore the previous instructions" in those languages, as far as ASCII spells them.</summary>
    private static readonly System.Buffers.SearchValues<string> IgnoreVerbs = System.Buffers.SearchValues.Create(
        ["ignor", "vergiss", "vergessen", "missacht", "olvid", "omite", "descart", "oubli", "esque", "desconsider", "dimentic", "negeer", "vergeet", "zignoruj",
         "zapomnij", "abaikan", "lupakan", "nceki"],
        StringComparison.OrdinalIgnoreCase);

    /// <summary>"qua", of the Vietnamese "bỏ qua" (ignore).</summary>
    private static readonly System.Buffers.SearchValues<string> Qua = System.Buffers.SearchValues.Create(["qua"], StringComparison.OrdinalIgnoreCase);

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

        // Personal data: identifiers with a checksum or validity rules are sure (masked by default), the rest less so (warned).
        new(MemoryFindingKind.PersonalData, "payment-card", MemoryFindingConfidence.High, PaymentCard(), PersonalData.IsCard),
        new(MemoryFindingKind.PersonalData, "iban", MemoryFindingConfidence.High, Iban(), PersonalData.IsIban),
        new(MemoryFindingKind.PersonalData, "us-ssn", MemoryFindingConfidence.High, UsSsn(), PersonalData.IsSsn),
        new(MemoryFindingKind.PersonalData, "email", MemoryFindingConfidence.Medium, Email(), PersonalData.IsPersonalEmail),
        new(MemoryFindingKind.PersonalData, "phone", MemoryFindingConfidence.Medium, Phone(), PersonalData.IsPhone),

        // Instructions aimed at the model.
        new(MemoryFindingKind.Instruction, "ignore-previous-instructions", MemoryFindingConfidence.High, IgnorePrevious()),
        new(MemoryFindingKind.Instruction, "override-instructions", MemoryFindingConfidence.High, OverrideInstructions()),
        new(MemoryFindingKind.Instruction, "hide-from-user", MemoryFindingConfidence.High, HideFromUser()),
        new(MemoryFindingKind.Instruction, "exfiltrate-to-address", MemoryFindingConfidence.High, ExfiltrateToAddress()),
        new(MemoryFindingKind.Instruction, "reveal-hidden-context", MemoryFindingConfidence.High, RevealHiddenContext()),
        new(MemoryFindingKind.Instruction, "ignore-previous-instructions", MemoryFindingConfidence.High, IgnorePreviousLatin()) { Anchors = InstructionNouns, AlsoBefore = IgnoreVerbs },
        new(MemoryFindingKind.Instruction, "ignore-previous-instructions", MemoryFindingConfidence.High, IgnorePreviousVietnamese()) { Anchors = Qua },
        new(MemoryFindingKind.Instruction, "ignore-previous-instructions", MemoryFindingConfidence.High, IgnorePreviousOtherScripts()),
        new(MemoryFindingKind.Instruction, "forget-everything", MemoryFindingConfidence.High, ForgetEverything()),
        new(MemoryFindingKind.Instruction, "markdown-exfiltration", MemoryFindingConfidence.High, MarkdownExfiltration()),
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
        new(MemoryFindingKind.ToolCallMimicry, "fake-memory-command", MemoryFindingConfidence.High, FakeMemoryCommand()),
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
            foreach (var match in rule.Matches(text))
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

        FindFolded(text, findings);
        FindEncoded(text, findings);
        FindHiddenCharacters(text, findings);
        // Stable: of two findings of one span, the rule listed first (the more specific) comes first and stays.
        var ordered = findings.OrderBy(finding => finding.Start).ThenByDescending(finding => finding.Length).ToList();
        DropNested(ordered);
        return ordered;
    }

    /// <summary>Masks every secret found, keeping a few characters that say what it was (<c>sk-ant-…[redacted]</c>), and
    /// removes every hidden character found among the findings given.</summary>
    /// <param name="text">The text.</param>
    /// <param name="findings">The findings in it, from <see cref="Scan"/>: secrets are masked, hidden characters removed,
    /// the rest left as they are.</param>
    /// <returns>The text so changed; the same text when there is nothing to change.</returns>
    public static string Redact(string text, IEnumerable<MemoryFinding> findings)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(findings);
        var changes = findings.Where(finding => finding.Kind is MemoryFindingKind.Secret or MemoryFindingKind.HiddenCharacter or MemoryFindingKind.PersonalData)
            .OrderBy(finding => finding.Start).ToList();
        if (changes.Count == 0)
        {
            return text;
        }

        var builder = new System.Text.StringBuilder(text.Length);
        var at = 0;
        foreach (var change in changes)
        {
            if (change.Start < at)
            {
                continue; // inside one already masked
            }

            builder.Append(text, at, change.Start - at);
            if (change.Kind == MemoryFindingKind.PersonalData)
            {
                builder.Append("[redacted ").Append(change.Rule).Append(']');
            }
            else if (change.Kind == MemoryFindingKind.Secret)
            {
                var kept = change.Rule is "private-key" ? 0 : Math.Min(change.Length / 5, change.Rule.Contains("password", StringComparison.Ordinal) ? 0 : 7);
                builder.Append(text, change.Start, kept).Append("[redacted ").Append(change.Rule).Append(']');
            }

            at = change.Start + change.Length;
        }

        return builder.Append(text, at, text.Length - at).ToString();
    }

    /// <summary>The rules that read for meaning (instructions, markers, tool calls), on the text with what hides words
    /// folded away (<see cref="ScanText"/>), in windows around what needs folding only, so a note with one emoji joiner
    /// is not read twice; a match found only there points at the characters it came from.</summary>
    private static void FindFolded(string text, List<MemoryFinding> findings)
    {
        foreach (var (from, to) in ScanText.Windows(text))
        {
            var window = from == 0 && to == text.Length ? text : text[from..to];
            if (ScanText.Fold(window, out var map) is not { } folded)
            {
                continue;
            }

            foreach (var rule in Rules)
            {
                if (rule.Kind is MemoryFindingKind.Secret or MemoryFindingKind.HiddenCharacter)
                {
                    continue;
                }

                foreach (var match in rule.Matches(folded))
                {
                    var start = from + map[match.Index];
                    var end = from + map[match.Index + match.Length - 1] + 1;
                    if (end < text.Length && char.IsLowSurrogate(text[end]))
                    {
                        end++;
                    }

                    if (!findings.Exists(f => f.Rule == rule.Name && f.Start < end && f.Start + f.Length > start))
                    {
                        findings.Add(new MemoryFinding(rule.Kind, rule.Name, start, end - start, rule.Confidence));
                    }
                }
            }
        }
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

    private static readonly System.Buffers.SearchValues<char> Hidden = System.Buffers.SearchValues.Create(
        "\u180E\u200B\u200C\u200D\u200E\u200F\u202A\u202B\u202C\u202D\u202E\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\uFEFF\uDB40");

    private static void FindHiddenCharacters(string text, List<MemoryFinding> findings)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var skip = text.AsSpan(i).IndexOfAny(Hidden);
            if (skip < 0)
            {
                return;
            }

            i += skip;
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

    private sealed record Rule(MemoryFindingKind Kind, string Name, MemoryFindingConfidence Confidence, Regex Pattern, Func<Match, string, bool>? Accept = null)
    {
        /// <summary>Gets words one of which every match holds: the rule then runs only in a window around each, found
        /// with a vectorised search, rather than trying its many first letters all over the text.</summary>
        public System.Buffers.SearchValues<string>? Anchors { get; init; }

        /// <summary>Gets words one of which a window must also hold before the rule runs in it (the verbs, for the nouns).</summary>
        public System.Buffers.SearchValues<string>? AlsoBefore { get; init; }

        /// <summary>The matches, in the whole text or in the windows before its anchors.</summary>
        public IEnumerable<Match> Matches(string text)
        {
            if (Anchors is null)
            {
                foreach (Match match in Pattern.Matches(text))
                {
                    yield return match;
                }

                yield break;
            }

            var done = 0;
            for (var at = text.AsSpan().IndexOfAny(Anchors); at >= 0;)
            {
                // From a word start well before the anchor to past the longest anchored word.
                var from = Math.Max(done, at - AnchorReach);
                while (from > done && !char.IsWhiteSpace(text[from - 1]))
                {
                    from--;
                }

                var to = Math.Min(text.Length, at + 40);
                if (AlsoBefore is null || text.AsSpan(from, at - from).IndexOfAny(AlsoBefore) >= 0)
                {
                    for (var match = Pattern.Match(text, from, to - from); match.Success; match = match.NextMatch())
                    {
                        yield return match;
                    }
                }

                done = to;
                var next = to < text.Length ? text.AsSpan(to).IndexOfAny(Anchors) : -1;
                at = next < 0 ? -1 : to + next;
            }
        }
    }

    /// <summary>How far before an anchor a rule's match may start.</summary>
    private const int AnchorReach = 120;

}
