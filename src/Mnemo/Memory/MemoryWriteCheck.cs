namespace Mnemo.Memory;

/// <summary>Represents the text an edit would leave in a file, for a check just before it is written.</summary>
/// <param name="Path">The file.</param>
/// <param name="Command">The command making the edit: <c>str_replace</c> or <c>insert</c>.</param>
/// <param name="Text">The whole file as the edit would leave it.</param>
/// <param name="ChangeStart">Where the text the edit changed starts, in UTF-16 characters of <paramref name="Text"/>.</param>
/// <param name="ChangeEnd">Where it ends (exclusive); equal to <paramref name="ChangeStart"/> when the edit only removed text there.</param>
public sealed record MemoryWriteCandidate(MemoryPath Path, string Command, string Text, int ChangeStart, int ChangeEnd);

/// <summary>Represents a check's answer to a <see cref="MemoryWriteCandidate"/>: write it, write another text instead, or
/// write nothing and tell the model why.</summary>
public readonly record struct MemoryWriteDecision
{
    private MemoryWriteDecision(string? replacement, string? refusal) => (Replacement, Refusal) = (replacement, refusal);

    /// <summary>Gets the decision to write the text as it is.</summary>
    public static MemoryWriteDecision Write => default;

    /// <summary>Gets the text to write in its place (such as the same text with secrets masked); <see langword="null"/> to write it as it is.</summary>
    public string? Replacement { get; }

    /// <summary>Gets the one-line message for the model when nothing is to be written; <see langword="null"/> otherwise.</summary>
    public string? Refusal { get; }

    /// <summary>Creates the decision to write another text instead.</summary>
    /// <param name="text">The whole file to write.</param>
    /// <returns>The decision.</returns>
    public static MemoryWriteDecision WriteInstead(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new MemoryWriteDecision(text, null);
    }

    /// <summary>Creates the decision to write nothing.</summary>
    /// <param name="message">Why, in one line, as the model will read it.</param>
    /// <returns>The decision.</returns>
    public static MemoryWriteDecision Refuse(string message)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(message);
        return new MemoryWriteDecision(null, message);
    }
}
