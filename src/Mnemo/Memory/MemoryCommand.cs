using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Mnemo.Memory;

/// <summary>Represents one command of the <c>memory_20250818</c> tool, parsed from the model's <c>tool_use</c> input.</summary>
/// <remarks>Paths are kept as the model sent them; <see cref="MemoryTool"/> validates them, so its messages can echo them.</remarks>
public abstract record MemoryCommand
{
    private protected MemoryCommand()
    {
    }

    /// <summary>Gets the names of the commands that change memory, as the model spells them.</summary>
    public static IReadOnlyList<string> WriteCommandNames { get; } = ["create", "str_replace", "insert", "delete", "rename"];

    /// <summary>Gets the command's name as the model spells it, such as <c>str_replace</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Gets a value indicating whether the command changes memory (every command but <c>view</c>).</summary>
    public bool IsWrite => IsWriteCommand(Name);

    /// <summary>Gets the path the command names (a rename's source) and a rename's destination, as given.</summary>
    internal (string Path, string? Destination) Paths => this switch
    {
        RenameMemoryCommand rename => (rename.OldPath, rename.NewPath),
        ViewMemoryCommand view => (view.Path, null),
        CreateMemoryCommand create => (create.Path, null),
        StrReplaceMemoryCommand replace => (replace.Path, null),
        InsertMemoryCommand insert => (insert.Path, null),
        DeleteMemoryCommand delete => (delete.Path, null),
        _ => throw new InvalidOperationException($"Unknown memory command {Name}."),
    };

    /// <summary>Tells whether a command name is one of <see cref="WriteCommandNames"/>.</summary>
    /// <param name="name">The name, as the model spells it.</param>
    /// <returns><see langword="true"/> for create, str_replace, insert, delete and rename.</returns>
    public static bool IsWriteCommand(string? name) => name is not null && WriteCommandNames.Contains(name, StringComparer.Ordinal);

    /// <summary>Parses a command from the tool's JSON input.</summary>
    /// <param name="input">The <c>input</c> object of a <c>tool_use</c> block.</param>
    /// <param name="command">The command, when parsing succeeds.</param>
    /// <param name="error">A one-line message naming the problem, when it fails.</param>
    /// <returns><see langword="true"/> when <paramref name="input"/> is a well-formed command.</returns>
    public static bool TryParse(JsonElement input, [NotNullWhen(true)] out MemoryCommand? command, [NotNullWhen(false)] out string? error)
    {
        command = null;
        if (input.ValueKind != JsonValueKind.Object)
        {
            error = MemoryMessages.NotAnObject(Describe(input));
            return false;
        }

        if (!input.TryGetProperty("command", out var name) || name.ValueKind == JsonValueKind.Null)
        {
            error = MemoryMessages.MissingCommand;
            return false;
        }

        if (name.ValueKind != JsonValueKind.String)
        {
            error = MemoryMessages.WrongType("command", "memory", "a string", Describe(name));
            return false;
        }

        string commandName;
        try
        {
            commandName = name.GetString()!;
        }
        catch (InvalidOperationException)
        {
            error = MemoryMessages.WrongType("command", "memory", "a string of valid Unicode", "a string with an unpaired surrogate");
            return false;
        }

        var reader = new Reader(input, commandName);
        command = reader.Command switch
        {
            "view" => reader.Require("path")
                ? new ViewMemoryCommand(reader.String("path"), reader.Range("view_range"))
                : null,
            "create" => reader.Require("path", "file_text")
                ? new CreateMemoryCommand(reader.String("path"), reader.String("file_text"))
                : null,
            "str_replace" => reader.Require("path", "old_str")
                ? new StrReplaceMemoryCommand(reader.String("path"), reader.String("old_str"), reader.OptionalString("new_str"))
                : null,
            "insert" => reader.Require("path", "insert_line", "insert_text")
                ? new InsertMemoryCommand(reader.String("path"), reader.Integer("insert_line"), reader.String("insert_text"))
                : null,
            "delete" => reader.Require("path") ? new DeleteMemoryCommand(reader.String("path")) : null,
            "rename" => reader.Require("old_path", "new_path")
                ? new RenameMemoryCommand(reader.String("old_path"), reader.String("new_path"))
                : null,
            _ => reader.Fail(MemoryMessages.UnknownCommand(reader.Command)),
        };

        // Types are checked after presence, so a command missing one parameter and mistyping another reports the missing one.
        if (command is not null && reader.Error is null)
        {
            error = null;
            return true;
        }

        command = null;
        error = reader.Error ?? MemoryMessages.InternalError(reader.Command);
        return false;
    }

    private static string Describe(JsonElement value) => JsonKinds.Describe(value.ValueKind);

    /// <summary>Reads parameters, remembering the first problem.</summary>
    private sealed class Reader(JsonElement input, string command)
    {
        public string Command { get; } = command;

        public string? Error { get; private set; }

        public MemoryCommand? Fail(string error)
        {
            Error ??= error;
            return null;
        }

        public bool Require(params ReadOnlySpan<string> names)
        {
            foreach (var name in names)
            {
                if (!input.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
                {
                    Fail(MemoryMessages.Missing(name, Command));
                    return false;
                }
            }

            return true;
        }

        public string String(string name)
        {
            var value = input.GetProperty(name);
            if (value.ValueKind == JsonValueKind.String)
            {
                try
                {
                    return value.GetString()!;
                }
                catch (InvalidOperationException)
                {
                    // An escaped unpaired surrogate ("\ud800") cannot become a .NET string.
                    Fail(MemoryMessages.WrongType(name, Command, "a string of valid Unicode", "a string with an unpaired surrogate"));
                    return string.Empty;
                }
            }

            Fail(MemoryMessages.WrongType(name, Command, "a string", Describe(value)));
            return string.Empty;
        }

        public string? OptionalString(string name) =>
            input.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? String(name) : null;

        public long Integer(string name)
        {
            var value = input.GetProperty(name);
            if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number))
            {
                return number;
            }

            Fail(MemoryMessages.WrongType(name, Command, "an integer", Describe(value)));
            return 0;
        }

        public IReadOnlyList<long>? Range(string name)
        {
            if (!input.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (value.ValueKind == JsonValueKind.Array)
            {
                var numbers = new List<long>(2);
                foreach (var item in value.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var number))
                    {
                        numbers = null;
                        break;
                    }

                    numbers.Add(number);
                }

                if (numbers is not null)
                {
                    return numbers;
                }
            }

            Fail(MemoryMessages.WrongType(name, Command, "a list of two integers [start, end]", Describe(value)));
            return null;
        }
    }
}

/// <summary>Represents <c>view</c>: list a folder two levels deep, or show a file with line numbers.</summary>
/// <param name="Path">The path as given.</param>
/// <param name="ViewRange">The optional <c>[start, end]</c> range; used only when it holds exactly two numbers.</param>
public sealed record ViewMemoryCommand(string Path, IReadOnlyList<long>? ViewRange = null) : MemoryCommand
{
    /// <inheritdoc/>
    public override string Name => "view";
}

/// <summary>Represents <c>create</c>: make a new file; never overwrites.</summary>
/// <param name="Path">The path as given.</param>
/// <param name="FileText">The file's text.</param>
public sealed record CreateMemoryCommand(string Path, string FileText) : MemoryCommand
{
    /// <inheritdoc/>
    public override string Name => "create";
}

/// <summary>Represents <c>str_replace</c>: replace the one occurrence of a text.</summary>
/// <param name="Path">The path as given.</param>
/// <param name="OldStr">The text to replace; it must occur exactly once.</param>
/// <param name="NewStr">The replacement; <see langword="null"/> deletes the old text.</param>
public sealed record StrReplaceMemoryCommand(string Path, string OldStr, string? NewStr = null) : MemoryCommand
{
    /// <inheritdoc/>
    public override string Name => "str_replace";
}

/// <summary>Represents <c>insert</c>: add text as a new line after line <see cref="InsertLine"/> (0 for the top).</summary>
/// <param name="Path">The path as given.</param>
/// <param name="InsertLine">The line after which to insert.</param>
/// <param name="InsertText">The text to insert; its trailing newlines are dropped.</param>
public sealed record InsertMemoryCommand(string Path, long InsertLine, string InsertText) : MemoryCommand
{
    /// <inheritdoc/>
    public override string Name => "insert";
}

/// <summary>Represents <c>delete</c>: remove a file, or a folder with everything in it.</summary>
/// <param name="Path">The path as given.</param>
public sealed record DeleteMemoryCommand(string Path) : MemoryCommand
{
    /// <inheritdoc/>
    public override string Name => "delete";
}

/// <summary>Represents <c>rename</c>: move a file or folder; never overwrites.</summary>
/// <param name="OldPath">The source path as given.</param>
/// <param name="NewPath">The destination path as given.</param>
public sealed record RenameMemoryCommand(string OldPath, string NewPath) : MemoryCommand
{
    /// <inheritdoc/>
    public override string Name => "rename";
}
