using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Mnemo.Cli;

/// <summary>Says what was wrong with a command line in one line of words: the parser's own messages name .NET types.</summary>
internal static partial class UsageErrors
{
    /// <summary>One line for the first thing wrong with the command line, and where its usage is shown.</summary>
    /// <param name="parsed">The command line, parsed, with at least one error.</param>
    /// <returns>The line, without the <c>mnemo: </c> in front.</returns>
    public static string Describe(ParseResult parsed)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        var command = CommandPath(parsed.CommandResult);

        // A word that is no command says more than the missing command it leaves behind, so it goes first.
        var error = parsed.Errors.FirstOrDefault(e => Unrecognized().IsMatch(e.Message)) ?? parsed.Errors[0];
        var message = error.Message;
        if (Unrecognized().Match(message) is { Success: true } unknown)
        {
            var word = unknown.Groups["word"].Value;
            message = word.StartsWith('-')
                ? $"{word} is not an option of {command}"
                : parsed.CommandResult.Command.Subcommands.Count > 0
                    ? $"{word} is not a command of {command}"
                    : $"{command} takes no {word}";
        }
        else if (CannotParse().Match(message) is { Success: true } value)
        {
            message = $"{value.Groups["option"].Value} takes {Kind(value.Groups["type"].Value)}, not {value.Groups["value"].Value}";
        }
        else if (MissingOptionValue().Match(message) is { Success: true } option)
        {
            message = $"{option.Groups["option"].Value} needs a value";
        }
        else if (MissingArgument().Match(message) is { Success: true } argument)
        {
            message = $"{command} needs {argument.Groups["argument"].Value}";
        }
        else if (message == "Required command was not provided.")
        {
            message = $"{command} needs a command";
        }
        else
        {
            message = message.TrimEnd('.');
        }

        return $"{message}; `{command} --help` shows the usage.";
    }

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? at = result; at is not null; at = at.Parent)
        {
            if (at is CommandResult { Command: var command })
            {
                names.Add(command is RootCommand ? "mnemo" : command.Name);
            }
        }

        names.Reverse();
        return string.Join(' ', names);
    }

    private static string Kind(string type) => type switch
    {
        _ when type.Contains("Int64", StringComparison.Ordinal) || type.Contains("Int32", StringComparison.Ordinal) => "a whole number",
        _ when type.Contains("Double", StringComparison.Ordinal) || type.Contains("Decimal", StringComparison.Ordinal) => "a number",
        _ when type.Contains("Boolean", StringComparison.Ordinal) => "true or false",
        _ when type.Contains("FileInfo", StringComparison.Ordinal) => "a file",
        _ => "another kind of value",
    };

    [GeneratedRegex("^Unrecognized command or argument '(?<word>.*)'\\.$")]
    private static partial Regex Unrecognized();

    [GeneratedRegex("^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']*)' as expected type '(?<type>[^']*)'\\.$")]
    private static partial Regex CannotParse();

    [GeneratedRegex("^Required argument missing for option: '(?<option>[^']*)'\\.$")]
    private static partial Regex MissingOptionValue();

    [GeneratedRegex("^Required argument '(?<argument>[^']*)' missing for command: '[^']*'\\.$")]
    private static partial Regex MissingArgument();

    /// <summary>Adds a check that a port option is 0 to 65535.</summary>
    public static Option<int> AsPort(this Option<int> option)
    {
        option.Validators.Add(result =>
        {
            // A value that is no number at all is the parser's to report; reading it here would throw.
            if (result.Tokens.Count == 0 ||
                !int.TryParse(result.Tokens[^1].Value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var port))
            {
                return;
            }

            if (port is < 0 or > 65535)
            {
                result.AddError($"{option.Name} must be a port from 0 to 65535, not {port}");
            }
        });
        return option;
    }
}
