using System.Net;
using System.Reflection;
using System.Text.Json;
using Anthropic;
using Anthropic.Core;
using Anthropic.Exceptions;
using Mnemo.Emulator;

namespace Mnemo.Cli.Agents;

/// <summary>
/// Where the assistant runs: Claude itself when <c>ANTHROPIC_API_KEY</c> is set, or otherwise the local emulator playing
/// a script, in this process. Memory, tools and context editing are the same real code either way.
/// </summary>
internal sealed class AssistantBackend : IAsyncDisposable
{
    /// <summary>The model when neither <c>--model</c> nor <c>ANTHROPIC_MODEL</c> names one.</summary>
    public const string DefaultModel = "claude-sonnet-4-5";

    private readonly MessagesEmulator? _emulator;

    private AssistantBackend(AnthropicClient client, string model, MessagesEmulator? emulator, string? scriptName)
    {
        Client = client;
        Model = model;
        _emulator = emulator;
        ScriptName = scriptName;
    }

    public AnthropicClient Client { get; }

    public string Model { get; }

    /// <summary>Whether the assistant's words come from a script.</summary>
    public bool IsScripted => _emulator is not null;

    /// <summary>The script's name, when scripted.</summary>
    public string? ScriptName { get; }

    /// <summary>Connects to Claude, or starts the emulator with the script given or the shipped one.</summary>
    /// <exception cref="CommandException">The script cannot be read or the emulator cannot start.</exception>
    public static async Task<AssistantBackend> StartAsync(string? model, FileInfo? script, CancellationToken cancellationToken)
    {
        model = model is { Length: > 0 } ? model : Environment.GetEnvironmentVariable("ANTHROPIC_MODEL") is { Length: > 0 } fromEnvironment ? fromEnvironment : DefaultModel;
        if (Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY") is { Length: > 0 } && script is null)
        {
            // The SDK reads the key, and ANTHROPIC_BASE_URL when set, from the environment.
            return new AssistantBackend(new AnthropicClient(), model, null, null);
        }

        AssistantScript assistant;
        string name;
        try
        {
            if (script is not null)
            {
                assistant = await AssistantScript.LoadAsync(script.FullName, cancellationToken).ConfigureAwait(false);
                name = script.Name;
            }
            else
            {
                assistant = AssistantScript.ParseYaml(Samples.Read("assistant.yaml"));
                name = "samples/code-review/assistant.yaml";
            }
        }
        catch (ScriptFormatException exception)
        {
            throw new CommandException($"{script?.Name ?? "assistant.yaml"}: {exception.Message}");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new CommandException($"{script!.Name}: cannot read the script ({(exception is FileNotFoundException ? "no such file" : exception.Message)})");
        }

        var emulator = await MessagesEmulator.StartAsync(new MessagesEmulatorOptions { Port = 0, Script = assistant }, cancellationToken)
            .ConfigureAwait(false);
        var client = new AnthropicClient(new ClientOptions { ApiKey = "mnemo-offline", BaseUrl = emulator.BaseAddress.ToString().TrimEnd('/'), MaxRetries = 0 });
        return new AssistantBackend(client, model, emulator, name);
    }

    /// <summary>The lines that say, before anything runs, who is answering.</summary>
    public string Banner() => IsScripted
        ? $"No ANTHROPIC_API_KEY: running offline against Mnemo's API emulator. The assistant's words are scripted ({ScriptName});\n" +
          "the memory, the tool calls and the context editing are real. Set ANTHROPIC_API_KEY to run it with Claude."
        : $"Running with Claude ({Model}) through the Anthropic API.";

    /// <summary>Says what went wrong with a request, in one line, for any failure of the API or the connection.</summary>
    public string Describe(Exception exception) => exception switch
    {
        AnthropicApiException api when IsScripted && Message(api.ResponseBody) is { } message && message.StartsWith("mnemo emulator script:", StringComparison.Ordinal) =>
            $"the offline assistant has no script for this ({message["mnemo emulator script: ".Length..]}); " +
            "it is scripted for the files and pull requests in samples/code-review only: set ANTHROPIC_API_KEY to review others with Claude",
        AnthropicApiException api => $"the API answered {(int)api.StatusCode} {Status(api.StatusCode)}: {Message(api.ResponseBody) ?? "no message"}",
        AnthropicIOException or HttpRequestException => $"cannot reach the API: {exception.Message.Split('\n')[0]}",
        _ => exception.Message.Split('\n')[0],
    };

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_emulator is not null)
        {
            await _emulator.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static string Status(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => "(authentication)",
        HttpStatusCode.TooManyRequests => "(rate limited)",
        (HttpStatusCode)529 => "(overloaded)",
        _ => string.Empty,
    };

    private static string? Message(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("error"u8, out var error) && error.TryGetProperty("message"u8, out var message)
                ? message.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>The sample files shipped inside the command, so the demo runs from an installed tool as from a clone.</summary>
internal static class Samples
{
    /// <summary>The code-review samples, in the order the demo's sessions use them.</summary>
    public static readonly string[] CodeReview = ["scraper.py", "async_fetcher.py", "accounts.py", "payments.py", "notifications.py", "inventory.py", "report.py"];

    public static string Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("samples/code-review/" + name)
            ?? throw new InvalidOperationException($"The sample {name} is not in the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

/// <summary>A failure to report in one line, with exit code 1.</summary>
internal sealed class CommandException : Exception
{
    public CommandException(string message)
        : base(message)
    {
    }

    public CommandException()
    {
    }

    public CommandException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
