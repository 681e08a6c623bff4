using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Mnemo.Emulator;

namespace Mnemo.Cli;

/// <summary>The <c>mnemo emulate</c> command: the Messages API emulator on 127.0.0.1 until stopped.</summary>
internal static class EmulateCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port")
        {
            Description = "The port on 127.0.0.1; 0 takes a free one (printed on start).",
            DefaultValueFactory = _ => 4141,
        }.AsPort();
        var script = new Option<FileInfo?>("--script")
        {
            Description = "The assistant's script, JSON or YAML (.yaml, .yml); see docs/emulator.md.",
        };
        var apiKey = new Option<string?>("--api-key")
        {
            Description = "Accept only this API key; by default any key is accepted.",
        };
        var cacheMinimum = new Option<int>("--cache-min-tokens")
        {
            Description = "The fewest tokens a prefix needs to be cached (1024 for Sonnet; 2048 or 4096 for some models).",
            DefaultValueFactory = _ => 1024,
        };
        var strictRoles = new Option<bool>("--strict-roles")
        {
            Description = "Reject consecutive messages of one role, as older API versions and some providers do.",
        };
        var quiet = new Option<bool>("--quiet")
        {
            Description = "Do not log each request on standard error.",
        };
        var command = new Command("emulate", "Run a local Messages API emulator with a scripted assistant, for offline runs and tests.")
        {
            port,
            script,
            apiKey,
            cacheMinimum,
            strictRoles,
            quiet,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var scriptFile = parseResult.GetValue(script);
            AssistantScript? assistant = null;
            if (scriptFile is not null)
            {
                try
                {
                    assistant = await AssistantScript.LoadAsync(scriptFile.FullName, cancellationToken).ConfigureAwait(false);
                }
                catch (ScriptFormatException exception)
                {
                    await Console.Error.WriteLineAsync($"mnemo: {scriptFile.Name}: {exception.Message}").ConfigureAwait(false);
                    return 1;
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    await Console.Error.WriteLineAsync($"mnemo: {scriptFile.Name}: cannot read the script ({Reason(exception)})").ConfigureAwait(false);
                    return 1;
                }
            }

            var options = new MessagesEmulatorOptions
            {
                Port = parseResult.GetValue(port),
                Script = assistant,
                ApiKey = parseResult.GetValue(apiKey) is { Length: > 0 } key ? key : null,
                CacheMinimumTokens = parseResult.GetValue(cacheMinimum),
                StrictRoleAlternation = parseResult.GetValue(strictRoles),
                OnExchange = parseResult.GetValue(quiet) ? null : Log,
            };
            MessagesEmulator emulator;
            try
            {
                emulator = await MessagesEmulator.StartAsync(options, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is IOException or ArgumentException)
            {
                await Console.Error.WriteLineAsync($"mnemo: cannot start the emulator: {Reason(exception)}").ConfigureAwait(false);
                return 1;
            }

            await using (emulator.ConfigureAwait(false))
            {
                var url = emulator.BaseAddress.ToString().TrimEnd('/');
                var contents = assistant is null
                    ? "no script: every message request will be answered with an error that says so"
                    : string.Create(CultureInfo.InvariantCulture,
                        $"script {scriptFile!.Name}: {assistant.Conversations.Count} conversation(s), {assistant.Rules.Count} rule(s)");
                Console.Out.WriteLine($"mnemo emulate: listening on {url} ({contents})");
                Console.Out.WriteLine($"point the SDK at it: ANTHROPIC_BASE_URL={url} and any ANTHROPIC_API_KEY; stop with Ctrl+C");
                await Console.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C or SIGTERM: stop serving and exit cleanly.
                }
            }

            return 0;
        });
        return command;
    }

    private static void Log(EmulatorExchange exchange)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"{exchange.Time:HH:mm:ss.fff} {exchange.Path} {exchange.Status}");
        if (exchange.ScriptSource is { } source)
        {
            line += $" {source}";
        }

        if (exchange.Response is { } response)
        {
            if (response.TryGetProperty("usage"u8, out var usage))
            {
                line += string.Create(CultureInfo.InvariantCulture,
                    $" in={usage.GetProperty("input_tokens"u8).GetInt64()} cache_read={usage.GetProperty("cache_read_input_tokens"u8).GetInt64()} cache_write={usage.GetProperty("cache_creation_input_tokens"u8).GetInt64()} out={usage.GetProperty("output_tokens"u8).GetInt64()} stop={response.GetProperty("stop_reason"u8).GetString()}");
            }

            if (response.TryGetProperty("context_management"u8, out var management) && management.TryGetProperty("applied_edits"u8, out var edits) &&
                edits.GetArrayLength() > 0)
            {
                line += " edits=" + string.Join(",", edits.EnumerateArray().Select(edit => edit.GetProperty("type"u8).GetString()));
            }

            if (response.TryGetProperty("error"u8, out var error) && error.ValueKind == JsonValueKind.Object)
            {
                line += $" {error.GetProperty("type"u8).GetString()}: {error.GetProperty("message"u8).GetString()}";
            }
        }

        if (exchange.Failure is { } failure)
        {
            line += $"\n  emulator fault: {failure.Split('\n')[0]}";
        }

        Console.Error.WriteLine(line);
    }

    private static string Reason(Exception exception) => exception switch
    {
        FileNotFoundException => "no such file",
        UnauthorizedAccessException => "permission denied",
        _ => exception.Message,
    };
}
