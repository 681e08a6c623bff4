using System.Globalization;

namespace Mnemo.Memory.Safety;

/// <summary>Says what happens to a write with a finding.</summary>
public enum MemorySafetyAction
{
    /// <summary>Written as it is, with no note.</summary>
    Allow,

    /// <summary>Written as it is; the finding goes to the audit log.</summary>
    Warn,

    /// <summary>Written with each secret masked and each invisible character removed; the model is told, and the audit log
    /// names what was masked. For the other kinds it means <see cref="Warn"/>.</summary>
    Redact,

    /// <summary>Not written; the model is told what to remove.</summary>
    Reject,

    /// <summary>Not written to memory; kept aside for an administrator (<see cref="MemorySafety.Quarantine"/>), out of the model's view.</summary>
    Quarantine,
}

/// <summary>Represents what a store does with each kind of finding, for findings the scanner is sure of and for the rest.</summary>
/// <remarks>Defaults: secrets are redacted whatever the confidence; Unicode tag characters and bidirectional controls
/// (invisible carriers of instructions) are removed; sure instructions, role markers and tool-call mimicry are rejected;
/// everything else (less sure findings, zero-width characters) is written and flagged in the audit log.</remarks>
public sealed class MemorySafetyPolicy
{
    private readonly Dictionary<MemoryFindingKind, MemorySafetyAction> _sure = new()
    {
        [MemoryFindingKind.Secret] = MemorySafetyAction.Redact,
        [MemoryFindingKind.Instruction] = MemorySafetyAction.Reject,
        [MemoryFindingKind.RoleMarker] = MemorySafetyAction.Reject,
        [MemoryFindingKind.ToolCallMimicry] = MemorySafetyAction.Reject,
        [MemoryFindingKind.HiddenCharacter] = MemorySafetyAction.Redact,
        [MemoryFindingKind.PersonalData] = MemorySafetyAction.Redact,
    };

    private readonly Dictionary<MemoryFindingKind, MemorySafetyAction> _unsure = new()
    {
        [MemoryFindingKind.Secret] = MemorySafetyAction.Redact,
        [MemoryFindingKind.Instruction] = MemorySafetyAction.Warn,
        [MemoryFindingKind.RoleMarker] = MemorySafetyAction.Warn,
        [MemoryFindingKind.ToolCallMimicry] = MemorySafetyAction.Warn,
        [MemoryFindingKind.HiddenCharacter] = MemorySafetyAction.Warn,
        [MemoryFindingKind.PersonalData] = MemorySafetyAction.Warn,
    };

    /// <summary>Gets or sets the action for findings of a kind that the scanner is sure of (<see cref="MemoryFindingConfidence.High"/>).</summary>
    /// <param name="kind">The kind.</param>
    public MemorySafetyAction this[MemoryFindingKind kind]
    {
        get => _sure[kind];
        set => _sure[kind] = value;
    }

    /// <summary>Sets the action for a kind at every confidence.</summary>
    /// <param name="kind">The kind.</param>
    /// <param name="action">The action.</param>
    /// <returns>This policy.</returns>
    public MemorySafetyPolicy Set(MemoryFindingKind kind, MemorySafetyAction action)
    {
        _sure[kind] = action;
        _unsure[kind] = action;
        return this;
    }

    /// <summary>Sets the action for a kind's less sure findings (<see cref="MemoryFindingConfidence.Medium"/> and below).</summary>
    /// <param name="kind">The kind.</param>
    /// <param name="action">The action.</param>
    /// <returns>This policy.</returns>
    public MemorySafetyPolicy SetUnsure(MemoryFindingKind kind, MemorySafetyAction action)
    {
        _unsure[kind] = action;
        return this;
    }

    /// <summary>Reads a policy from JSON: <c>{"secret":"redact","instruction":"quarantine",…,"unsure":{"instruction":"reject"}}</c>.</summary>
    /// <param name="json">The policy. Keys are the kinds (<c>secret</c>, <c>instruction</c>, <c>role-marker</c>,
    /// <c>tool-call-mimicry</c>, <c>hidden-character</c>) for findings the scanner is sure of, and under <c>unsure</c> for the
    /// rest; values are <c>allow</c>, <c>warn</c>, <c>redact</c>, <c>reject</c> or <c>quarantine</c>. A kind left out keeps its default.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="FormatException">The JSON is not such a policy; the message says what is wrong, in one line.</exception>
    public static MemorySafetyPolicy Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var policy = new MemorySafetyPolicy();
        System.Text.Json.JsonElement root;
        try
        {
            root = System.Text.Json.JsonDocument.Parse(json).RootElement;
        }
        catch (System.Text.Json.JsonException exception)
        {
            throw new FormatException($"The safety policy is not JSON: {exception.Message.ReplaceLineEndings(" ")}", exception);
        }

        if (root.ValueKind != System.Text.Json.JsonValueKind.Object)
        {
            throw new FormatException("The safety policy must be a JSON object, such as {\"secret\":\"reject\"}.");
        }

        foreach (var property in root.EnumerateObject())
        {
            if (property.Name == "unsure" && property.Value.ValueKind == System.Text.Json.JsonValueKind.Object)
            {
                foreach (var unsure in property.Value.EnumerateObject())
                {
                    policy._unsure[KindOf(unsure.Name)] = ActionOf(unsure.Value);
                }
            }
            else
            {
                policy._sure[KindOf(property.Name)] = ActionOf(property.Value);
            }
        }

        return policy;

        static MemoryFindingKind KindOf(string name) => name switch
        {
            "secret" => MemoryFindingKind.Secret,
            "instruction" => MemoryFindingKind.Instruction,
            "role-marker" => MemoryFindingKind.RoleMarker,
            "tool-call-mimicry" => MemoryFindingKind.ToolCallMimicry,
            "hidden-character" => MemoryFindingKind.HiddenCharacter,
            "personal-data" => MemoryFindingKind.PersonalData,
            _ => throw new FormatException($"The safety policy names an unknown kind, {name}: use secret, personal-data, instruction, role-marker, tool-call-mimicry, hidden-character or unsure."),
        };

        // Names only: Enum.TryParse would also take "1" or "warn,redact" (two flags ORed into a third action).
        static MemorySafetyAction ActionOf(System.Text.Json.JsonElement value) =>
            (value.ValueKind == System.Text.Json.JsonValueKind.String ? value.GetString() : null) switch
            {
                "allow" => MemorySafetyAction.Allow,
                "warn" => MemorySafetyAction.Warn,
                "redact" => MemorySafetyAction.Redact,
                "reject" => MemorySafetyAction.Reject,
                "quarantine" => MemorySafetyAction.Quarantine,
                _ => throw new FormatException($"The safety policy has an unknown action, {value}: use allow, warn, redact, reject or quarantine."),
            };
    }

    /// <summary>The action for one finding.</summary>
    /// <param name="finding">The finding.</param>
    /// <returns>What its kind and confidence call for. Redaction applies to secrets (masked) and hidden characters
    /// (removed); for other kinds it means warn.</returns>
    public MemorySafetyAction For(MemoryFinding finding)
    {
        ArgumentNullException.ThrowIfNull(finding);
        var action = (finding.Confidence == MemoryFindingConfidence.High ? _sure : _unsure)[finding.Kind];
        return action == MemorySafetyAction.Redact && finding.Kind is not (MemoryFindingKind.Secret or MemoryFindingKind.HiddenCharacter or MemoryFindingKind.PersonalData)
            ? MemorySafetyAction.Warn : action;
    }
}

/// <summary>Represents the checks a memory tool makes on what is written: the scanner, the policy and where quarantined writes go.</summary>
public sealed class MemorySafety
{
    /// <summary>Gets the default checks: every rule of <see cref="MemoryScanner.Default"/> under the default policy, no quarantine.</summary>
    public static MemorySafety Default { get; } = new();

    /// <summary>Gets or sets the scanner.</summary>
    public MemoryScanner Scanner { get; init; } = MemoryScanner.Default;

    /// <summary>Gets or sets the policy.</summary>
    public MemorySafetyPolicy Policy { get; init; } = new();

    /// <summary>Gets or sets where quarantined writes are kept for administrators.</summary>
    /// <value><see langword="null"/> by default: a write the policy would quarantine is rejected instead, as nothing can hold it.</value>
    public IMemoryQuarantine? Quarantine { get; init; }

    /// <summary>Checks the text a command would write.</summary>
    /// <param name="command">The command; only create, str_replace and insert write text.</param>
    /// <returns>What to do, with the findings and, for a redaction, the command with its text masked.</returns>
    public MemoryScreening Screen(MemoryCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var (text, argument) = command switch
        {
            CreateMemoryCommand create => (create.FileText, "file_text"),
            StrReplaceMemoryCommand replace => (replace.NewStr ?? string.Empty, "new_str"),
            InsertMemoryCommand insert => (insert.InsertText, "insert_text"),
            _ => (string.Empty, string.Empty),
        };
        var findings = text.Length == 0 ? [] : Scanner.Scan(text);
        if (findings.Count == 0)
        {
            return new MemoryScreening(command, MemorySafetyAction.Allow, findings, argument, text);
        }

        var action = findings.Max(Policy.For);
        if (action != MemorySafetyAction.Redact)
        {
            return new MemoryScreening(command, action, findings, argument, text);
        }

        var masked = MemoryScanner.Redact(text, findings.Where(finding => Policy.For(finding) == MemorySafetyAction.Redact));
        MemoryCommand redacted = command switch
        {
            CreateMemoryCommand create => create with { FileText = masked },
            StrReplaceMemoryCommand replace => replace with { NewStr = masked },
            InsertMemoryCommand insert => insert with { InsertText = masked },
            _ => command,
        };
        return new MemoryScreening(redacted, action, findings, argument, text);
    }

    /// <summary>Checks the file an edit would leave: the text around the change, as far on each side as any rule can
    /// reach, so a secret or a marker that the edit completes with the text already there is found too.</summary>
    /// <param name="command">The edit.</param>
    /// <param name="candidate">The whole file as the edit would leave it, and the range it changed.</param>
    /// <returns>What to do, with the findings that touch the change (positions in the file) and, for a redaction, the
    /// file with those secrets masked in place (<see cref="MemoryScreening.Written"/>). Findings wholly in text the edit
    /// left alone are not this write's doing and are left to <c>mnemo memory scan</c>.</returns>
    public MemoryScreening ScreenResult(MemoryCommand command, MemoryWriteCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(candidate);
        var text = candidate.Text;
        var (start, end) = (candidate.ChangeStart, candidate.ChangeEnd);
        var from = Math.Max(0, start - MemoryScanner.Reach);
        var to = Math.Min(text.Length, end + MemoryScanner.Reach);
        var window = from == 0 && to == text.Length ? text : text[from..to];
        var findings = Scanner.Scan(window)
            .Select(finding => from == 0 ? finding : finding with { Start = finding.Start + from })
            .Where(finding => finding.Start <= end && finding.Start + finding.Length >= start)
            .ToList();
        if (findings.Count == 0)
        {
            return new MemoryScreening(command, MemorySafetyAction.Allow, findings, MemoryScreening.File, text);
        }

        var action = findings.Max(Policy.For);
        return new MemoryScreening(command, action, findings, MemoryScreening.File, text)
        {
            Written = action == MemorySafetyAction.Redact ? MemoryScanner.Redact(text, findings.Where(finding => Policy.For(finding) == MemorySafetyAction.Redact)) : null,
        };
    }
}

/// <summary>Represents the outcome of checking one command.</summary>
/// <param name="Command">The command to run: the one given, or for a redaction, the same with its secrets masked.</param>
/// <param name="Action">The strictest action any finding calls for; <see cref="MemorySafetyAction.Allow"/> when there is none.</param>
/// <param name="Findings">What the scanner found, positions counted in <paramref name="Argument"/>.</param>
/// <param name="Argument">The argument scanned: <c>file_text</c>, <c>new_str</c> or <c>insert_text</c>; or <see cref="File"/>
/// when what was judged is the whole file an edit would leave (<see cref="MemorySafety.ScreenResult"/>).</param>
/// <param name="Text">The text scanned, before any masking.</param>
public sealed record MemoryScreening(MemoryCommand Command, MemorySafetyAction Action, IReadOnlyList<MemoryFinding> Findings, string Argument, string Text)
{
    /// <summary>The <see cref="Argument"/> of a screening of the file an edit would leave.</summary>
    public const string File = "file";

    /// <summary>Gets, for a redaction of the file an edit would leave, the file with its secrets masked; <see langword="null"/> otherwise.</summary>
    public string? Written { get; init; }

    /// <summary>Gets the message for the model when the write is refused or held, naming the finding that decided it.</summary>
    /// <param name="policy">The policy that decided.</param>
    /// <param name="held">Whether the write is held in quarantine rather than rejected.</param>
    /// <returns>One line: what was found, where, and what to do.</returns>
    public string Refusal(MemorySafetyPolicy policy, bool held)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var decisive = Findings.Where(finding => policy.For(finding) >= MemorySafetyAction.Reject).DefaultIfEmpty(Findings[0]).First();
        var what = decisive.Kind switch
        {
            MemoryFindingKind.Instruction => "text that reads as an instruction to the model",
            MemoryFindingKind.RoleMarker => "a fake conversation marker",
            MemoryFindingKind.ToolCallMimicry => "text that imitates a tool call",
            MemoryFindingKind.HiddenCharacter => "invisible characters",
            MemoryFindingKind.PersonalData => $"personal data ({decisive.Rule})",
            _ => $"a secret ({decisive.Rule})",
        };
        // Quoted as the rules read it: hidden characters folded away, so a refusal never carries them back to the model.
        var found = Text.Substring(decisive.Start, decisive.Length);
        var quote = decisive.Kind is MemoryFindingKind.Secret or MemoryFindingKind.HiddenCharacter or MemoryFindingKind.PersonalData || decisive.Rule.EndsWith("-in-base64", StringComparison.Ordinal)
            ? string.Empty
            : $"\"{Quote(ScanText.Fold(found, out _) ?? found)}\", ";
        var outcome = held ? "; it is held for review by an administrator" : string.Empty;
        var subject = Argument == File ? $"the file as this {Command.Name} would leave it" : Argument;
        var where = Argument == File ? $"at character {decisive.Start} of the file" : $"at character {decisive.Start}";
        return string.Create(CultureInfo.InvariantCulture,
            $"The memory was not written: {subject} contains {what} ({quote}{where}){outcome}. Memory holds facts, preferences and progress, not instructions or secrets: write it again without that text.");
    }

    /// <summary>Gets the note added to a successful write's result when secrets were masked.</summary>
    public string? RedactionNote
    {
        get
        {
            if (Action != MemorySafetyAction.Redact)
            {
                return null;
            }

            var rules = Findings.Where(finding => finding.Kind == MemoryFindingKind.Secret).Select(finding => finding.Rule).Distinct().ToList();
            var count = Findings.Count(finding => finding.Kind == MemoryFindingKind.Secret);
            var hidden = Findings.Where(finding => finding.Kind == MemoryFindingKind.HiddenCharacter && finding.Confidence == MemoryFindingConfidence.High)
                .Select(finding => finding.Rule).Distinct().ToList();
            var masked = count == 0 ? null
                : $"{(count == 1 ? "a secret" : $"{count} secrets")} ({string.Join(", ", rules)}) {(count == 1 ? "was" : "were")} masked before writing; memory must not hold secrets";
            var personal = Findings.Where(finding => finding.Kind == MemoryFindingKind.PersonalData && finding.Confidence == MemoryFindingConfidence.High)
                .Select(finding => finding.Rule).Distinct().ToList();
            var privacy = personal.Count == 0 ? null
                : $"personal data ({string.Join(", ", personal)}) was masked before writing; memory should not hold it";
            var removed = hidden.Count == 0 ? null
                : $"invisible characters ({string.Join(", ", hidden)}) were removed before writing; a note holds only what a reader can see";
            return string.Create(CultureInfo.InvariantCulture, $"\n\nNote: {string.Join(". Also, ", new[] { masked, privacy, removed }.OfType<string>())}.");
        }
    }

    private static string Quote(string text)
    {
        var line = text.ReplaceLineEndings(" ").Replace('"', '\'');
        return line.Length > 60 ? line[..57] + "..." : line;
    }
}

/// <summary>Represents where quarantined writes are kept: out of the model's view, for an administrator to review.</summary>
public interface IMemoryQuarantine
{
    /// <summary>Keeps a write aside.</summary>
    /// <param name="write">The write.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the write is kept.</returns>
    ValueTask HoldAsync(QuarantinedWrite write, CancellationToken cancellationToken = default);

    /// <summary>Reads every write held, oldest first.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The writes.</returns>
    ValueTask<IReadOnlyList<QuarantinedWrite>> ReadAsync(CancellationToken cancellationToken = default);
}

/// <summary>Represents a write kept out of memory for review.</summary>
/// <param name="Time">When it was held.</param>
/// <param name="Actor">Who made it.</param>
/// <param name="Command">The command: create, str_replace or insert.</param>
/// <param name="Path">The path it named.</param>
/// <param name="Text">The text it would have written, as given.</param>
/// <param name="Findings">What the scanner found in it.</param>
public sealed record QuarantinedWrite(DateTimeOffset Time, string? Actor, string Command, string? Path, string Text, IReadOnlyList<MemoryFinding> Findings);
