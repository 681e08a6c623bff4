using System.Diagnostics.CodeAnalysis;
using Mnemo.Memory.FileSystem;
using System.Runtime.Versioning;

namespace Mnemo.Memory;

/// <summary>Represents whose memory a store is: a user's, a user's project's, or one agent's within a project.</summary>
/// <remarks>
/// <para>Each scope is its own store, never a folder inside another's: a user's scope does not contain the user's project
/// scopes, so no path, listing or rename in one can reach another. <see cref="Name"/> is the store's name, the same on
/// every backend: a folder under a root, a PostgreSQL store, a memory server's store.</para>
/// <para>Names are 1 to 18 lowercase ASCII letters, digits, '_' or '-', starting with a letter or a digit. The parts are
/// joined with '.', which no part may contain, and each is tagged with its level (<c>u-alice.p-billing.a-reviewer</c>),
/// so two different scopes can never share a name, and nothing a caller passes can climb out (<c>..</c>, '/', '\').</para>
/// </remarks>
public sealed record MemoryScope
{
    /// <summary>The longest name of a user, project or agent.</summary>
    public const int MaxPartLength = 18;

    private MemoryScope(string user, string? project, string? agent)
    {
        (User, Project, Agent) = (user, project, agent);
        Name = "u-" + user + (project is null ? string.Empty : ".p-" + project) + (agent is null ? string.Empty : ".a-" + agent);
    }

    /// <summary>Gets the user.</summary>
    public string User { get; }

    /// <summary>Gets the project, if the scope is one.</summary>
    public string? Project { get; }

    /// <summary>Gets the agent, if the scope is one; an agent's scope is always within a project.</summary>
    public string? Agent { get; }

    /// <summary>Gets the scope's store name: <c>u-USER[.p-PROJECT[.a-AGENT]]</c>, at most 62 characters.</summary>
    public string Name { get; }

    /// <summary>Makes a scope.</summary>
    /// <param name="user">The user.</param>
    /// <param name="project">The project, or <see langword="null"/> for the user's own memory.</param>
    /// <param name="agent">The agent, or <see langword="null"/>; needs a project.</param>
    /// <returns>The scope.</returns>
    /// <exception cref="ArgumentException">A part is not a valid name, or an agent comes without a project.</exception>
    public static MemoryScope Create(string user, string? project = null, string? agent = null) =>
        TryCreate(user, project, agent, out var scope, out var error) ? scope : throw new ArgumentException(error);

    /// <summary>Makes a scope if its parts are valid.</summary>
    /// <param name="user">The user.</param>
    /// <param name="project">The project, or <see langword="null"/>.</param>
    /// <param name="agent">The agent, or <see langword="null"/>.</param>
    /// <param name="scope">The scope, when valid.</param>
    /// <param name="error">Why not, in one line, when not.</param>
    /// <returns><see langword="true"/> when the parts make a scope.</returns>
    public static bool TryCreate(string? user, string? project, string? agent, [NotNullWhen(true)] out MemoryScope? scope, [NotNullWhen(false)] out string? error)
    {
        scope = null;
        foreach (var (part, label) in new[] { (user, "user"), (project, "project"), (agent, "agent") })
        {
            if ((part is not null || label == "user") && !IsValidPart(part))
            {
                error = $"The {label} name must be 1 to {MaxPartLength} lowercase letters, digits, '_' or '-', starting with a letter or a digit.";
                return false;
            }
        }

        if (agent is not null && project is null)
        {
            error = "An agent's scope belongs to a project: give the project too.";
            return false;
        }

        scope = new MemoryScope(user!, project, agent);
        error = null;
        return true;
    }

    /// <summary>Reads a scope back from its <see cref="Name"/>.</summary>
    /// <param name="name">The name.</param>
    /// <param name="scope">The scope, when the name is one.</param>
    /// <returns><see langword="true"/> when <paramref name="name"/> is a scope's name.</returns>
    public static bool TryParse(string? name, [NotNullWhen(true)] out MemoryScope? scope)
    {
        scope = null;
        var parts = name?.Split('.') ?? [];
        if (parts.Length is < 1 or > 3 || !parts[0].StartsWith("u-", StringComparison.Ordinal) ||
            (parts.Length > 1 && !parts[1].StartsWith("p-", StringComparison.Ordinal)) ||
            (parts.Length > 2 && !parts[2].StartsWith("a-", StringComparison.Ordinal)))
        {
            return false;
        }

        return TryCreate(parts[0][2..], parts.Length > 1 ? parts[1][2..] : null, parts.Length > 2 ? parts[2][2..] : null, out scope, out _) && scope.Name == name;
    }

    /// <summary>Opens this scope's folder store under a root that holds every scope's folder.</summary>
    /// <param name="root">The folder that holds the scopes.</param>
    /// <param name="options">The store's options.</param>
    /// <returns>The store, its root <c>ROOT/NAME</c>.</returns>
    public FileSystemMemoryStore OpenFolder(string root, FileSystemMemoryStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        return new FileSystemMemoryStore(Path.Combine(root, Name), options);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    private static bool IsValidPart(string? part) =>
        part is { Length: > 0 and <= MaxPartLength } && (char.IsAsciiLetterLower(part[0]) || char.IsAsciiDigit(part[0])) &&
        part.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-');
}
