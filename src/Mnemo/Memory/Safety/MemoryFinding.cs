namespace Mnemo.Memory.Safety;

/// <summary>Says what kind of risk a finding is.</summary>
public enum MemoryFindingKind
{
    /// <summary>Text that tells the model what to do: override its instructions, hide things from the user, send data away.</summary>
    Instruction,

    /// <summary>Text that imitates the boundaries of a conversation: system prompts, role or turn markers, chat-template tokens.</summary>
    RoleMarker,

    /// <summary>Text that imitates tool calls or tool results, as the model's own output would show them.</summary>
    ToolCallMimicry,

    /// <summary>Characters a reader cannot see: zero-width characters, bidirectional controls, Unicode tag characters.</summary>
    HiddenCharacter,

    /// <summary>A credential: an API key, a token, a private key, a password in a connection string or a URL.</summary>
    Secret,

    /// <summary>Personal data the cookbook says not to store: an e-mail address, a phone number, a payment card number,
    /// an IBAN, a national identifier.</summary>
    PersonalData,
}

/// <summary>Says how sure a rule is that its match is what it looks for.</summary>
public enum MemoryFindingConfidence
{
    /// <summary>Often something else.</summary>
    Low,

    /// <summary>Likely, but ordinary notes say such things too.</summary>
    Medium,

    /// <summary>Almost never anything else.</summary>
    High,
}

/// <summary>Represents one thing the scanner found in a text.</summary>
/// <param name="Kind">The kind of risk.</param>
/// <param name="Rule">The rule that matched, such as <c>anthropic-api-key</c> or <c>ignore-previous-instructions</c>.</param>
/// <param name="Start">Where the match starts, in UTF-16 characters from the start of the text scanned.</param>
/// <param name="Length">The match's length, in UTF-16 characters.</param>
/// <param name="Confidence">How sure the rule is.</param>
public sealed record MemoryFinding(MemoryFindingKind Kind, string Rule, int Start, int Length, MemoryFindingConfidence Confidence)
{
    /// <summary>Gets the finding's kind as it is written in audit lines and reports: <c>secret</c>, <c>instruction</c>, and so on.</summary>
    public string KindName => Kind switch
    {
        MemoryFindingKind.Instruction => "instruction",
        MemoryFindingKind.RoleMarker => "role-marker",
        MemoryFindingKind.ToolCallMimicry => "tool-call-mimicry",
        MemoryFindingKind.HiddenCharacter => "hidden-character",
        MemoryFindingKind.PersonalData => "personal-data",
        _ => "secret",
    };

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{KindName}:{Rule} at {Start} ({Confidence.ToString().ToLowerInvariant()})");
}
