using System.CommandLine;
using System.Text.Json;
using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Models.Beta.Dreams;
using Anthropic.Models.Beta.MemoryStores;
using Mnemo.Anthropic.ManagedMemory;
using Mnemo.Memory;
using static Mnemo.Cli.AdminOutput;

namespace Mnemo.Cli;

/// <summary><c>mnemo memory dream</c>: a Dream on a managed memory store, its progress, and its result as a diff to
/// accept all, some or none of.</summary>
internal static class MemoryDreamCommand
{
    public static Command Create()
    {
        var store = new Option<string?>("--anthropic-store") { Description = "The managed memory store to dream on (memstore_…); with --from, made fresh and left out." };
        var from = new Option<DirectoryInfo?>("--from") { Description = "Copy this memory folder into a fresh managed store first, and dream on that." };
        var instructions = new Option<string?>("--instructions") { Description = "What the dream should do with the memory (at most 4,096 characters)." };
        var model = new Option<string?>("--model") { Description = "The model that dreams; the API's choice when left out." };
        var accept = new Option<string[]>("--accept")
        {
            Description = "What to take of the result: all, none (the default: only show it), or the memory paths to take (repeat the option).",
            AllowMultipleArgumentsPerToken = true,
        };
        var into = new Option<DirectoryInfo?>("--into") { Description = "Accept into this memory folder instead of the input store (the folder --from names, say)." };
        var poll = new Option<double>("--poll") { Description = "Seconds between looks at the dream while it runs.", DefaultValueFactory = _ => 5 };
        var actor = new Option<string?>("--actor") { Description = "Who the history names for what is accepted; the user's login name by default." };
        var dream = new Command("dream", "Run a Dream (research preview) on an Anthropic managed memory store: it consolidates the memory into a new store; see its result as a diff and accept all, some or none of it.")
        {
            store, from, instructions, model, accept, into, poll, actor,
        };
        dream.SetAction(async (result, cancellationToken) =>
        {
            try
            {
                return await RunAsync(result, store, from, instructions, model, accept, into, poll, actor, cancellationToken).ConfigureAwait(false);
            }
            catch (UsageException exception)
            {
                await Console.Error.WriteLineAsync($"mnemo: {exception.Message}").ConfigureAwait(false);
                return MemoryAdminCommands.Usage;
            }
            catch (AnthropicApiException exception)
            {
                await Console.Error.WriteLineAsync($"mnemo: the dream could not go on: {Reason(exception)}").ConfigureAwait(false);
                return MemoryAdminCommands.Failed;
            }
            catch (Exception exception) when (exception is MemoryException or IOException or AnthropicException or HttpRequestException)
            {
                await Console.Error.WriteLineAsync($"mnemo: {OneLine(exception.Message)}").ConfigureAwait(false);
                return MemoryAdminCommands.Failed;
            }
        });
        return dream;
    }

    private static async Task<int> RunAsync(
        ParseResult result, Option<string?> storeOption, Option<DirectoryInfo?> fromOption, Option<string?> instructionsOption, Option<string?> modelOption,
        Option<string[]> acceptOption, Option<DirectoryInfo?> intoOption, Option<double> pollOption, Option<string?> actorOption, CancellationToken cancellationToken)
    {
        var storeId = result.GetValue(storeOption);
        var folder = result.GetValue(fromOption);
        if ((storeId is null) == (folder is null))
        {
            throw new UsageException("give the memory to dream on: --anthropic-store memstore_…, or --from FOLDER.");
        }

        if (storeId is not null && !StoreSelection.IsManagedStoreId(storeId))
        {
            throw new UsageException($"--anthropic-store takes a managed memory store's id, memstore_…, not {storeId}.");
        }

        if (folder is { Exists: false })
        {
            throw new UsageException($"there is no memory folder at {folder.FullName}.");
        }

        var accepted = result.GetValue(acceptOption) ?? [];
        var paths = accepted is [] or ["none"] or ["all"] ? [] : accepted.Select(ParsePath).ToList();
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY")))
        {
            throw new UsageException("a dream runs on Anthropic's API: give the key in ANTHROPIC_API_KEY.");
        }

        var pause = TimeSpan.FromSeconds(Math.Max(0.01, result.GetValue(pollOption)));
        var actor = result.GetValue(actorOption) is { Length: > 0 } named ? named : Environment.UserName;
        using var client = new AnthropicClient();
        if (folder is not null)
        {
            var fresh = await client.Beta.MemoryStores.Create(new MemoryStoreCreateParams { Name = $"mnemo dream of {folder.Name}" }, cancellationToken).ConfigureAwait(false);
            storeId = fresh.ID;
            var local = MemoryCopyCommand.Open(folder.FullName, null, mustExist: true);
            using var disposeLocal = local as IDisposable;
            using var seeded = new AnthropicMemoryStore(client, new AnthropicMemoryStoreOptions { MemoryStoreId = storeId });
            var copied = await MemoryStoreCopy.CopyAsync(local, seeded, prune: false, new MemoryWriteContext(actor, $"copy from {folder.FullName}"), cancellationToken)
                .ConfigureAwait(false);
            await Console.Error.WriteLineAsync($"mnemo: copied {copied.Count(item => item.Action == MemoryCopyAction.Create)} files into {storeId}"
                + (copied.Any(item => item.Action == MemoryCopyAction.Skip) ? $"; skipped {copied.Count(item => item.Action == MemoryCopyAction.Skip)} it cannot hold." : ".")).ConfigureAwait(false);
        }

        var body = new Dictionary<string, JsonElement>
        {
            ["inputs"] = JsonSerializer.SerializeToElement(new[] { new Dictionary<string, string> { ["type"] = "memory_store", ["memory_store_id"] = storeId! } }),
        };
        if (result.GetValue(instructionsOption) is { Length: > 0 } text)
        {
            body["instructions"] = JsonSerializer.SerializeToElement(text);
        }

        if (result.GetValue(modelOption) is { Length: > 0 } chosen)
        {
            body["model"] = JsonSerializer.SerializeToElement(chosen);
        }

        var started = await client.Beta.Dreams.Create(DreamCreateParams.FromRawUnchecked(new Dictionary<string, JsonElement>(), new Dictionary<string, JsonElement>(), body), cancellationToken)
            .ConfigureAwait(false);
        var status = started.Status.Raw();
        await Console.Error.WriteLineAsync($"mnemo: dream {started.ID} on {storeId}: {status}").ConfigureAwait(false);
        var current = started;
        while (status is "pending" or "running")
        {
            await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
            current = await client.Beta.Dreams.Retrieve(started.ID, new DreamRetrieveParams(), cancellationToken).ConfigureAwait(false);
            if (current.Status.Raw() != status)
            {
                status = current.Status.Raw();
                await Console.Error.WriteLineAsync($"mnemo: dream {started.ID}: {status}").ConfigureAwait(false);
            }
        }

        if (status != "completed")
        {
            var why = current.Error is { } error ? $": {OneLine(error.Message)}" : ".";
            await Console.Error.WriteLineAsync($"mnemo: dream {started.ID} {(status == "canceled" ? "was canceled" : "failed")}{why}").ConfigureAwait(false);
            return MemoryAdminCommands.Failed;
        }

        var outputId = current.Outputs.Select(output => output.MemoryStoreID).FirstOrDefault()
            ?? throw new MemoryStoreException("the dream completed without an output store");
        using var dreamed = new AnthropicMemoryStore(client, new AnthropicMemoryStoreOptions { MemoryStoreId = outputId });
        var input = result.GetValue(intoOption) is { } target
            ? MemoryCopyCommand.Open(target.FullName, null, mustExist: false)
            : new AnthropicMemoryStore(client, new AnthropicMemoryStoreOptions { MemoryStoreId = storeId! });
        using var disposeInput = input as IDisposable;
        var plan = await MemoryStoreCopy.PlanAsync(dreamed, input, prune: true, cancellationToken).ConfigureAwait(false);
        Console.Out.WriteLine($"dream {started.ID} wrote {outputId}; against {(result.GetValue(intoOption) is { } shown ? shown.FullName : storeId)}:");
        foreach (var item in plan.Where(item => item.Action != MemoryCopyAction.Same))
        {
            Console.Out.Write(await MemoryStoreCopy.DiffAsync(dreamed, input, item.Path, cancellationToken).ConfigureAwait(false));
        }

        var changes = plan.Count(item => item.Action is MemoryCopyAction.Create or MemoryCopyAction.Update or MemoryCopyAction.Delete);
        if (accepted is [] or ["none"] || changes == 0)
        {
            Console.Out.WriteLine(changes == 0 ? "The dream changed nothing." : $"{changes} changes; none taken (--accept all, or --accept PATH for some).");
            return 0;
        }

        var done = await MemoryStoreCopy.CopyAsync(dreamed, input, prune: true, new MemoryWriteContext(actor, $"dream {started.ID}"), cancellationToken,
            accepted is ["all"] ? null : path => paths.Contains(path)).ConfigureAwait(false);
        var taken = done.Count(item => item.Action is MemoryCopyAction.Create or MemoryCopyAction.Update or MemoryCopyAction.Delete);
        foreach (var item in done.Where(item => item.Action == MemoryCopyAction.Skip))
        {
            Console.Out.WriteLine($"skip    {item.Path.Normalized}: {OneLine(item.Reason ?? "it cannot be copied")}");
        }

        Console.Out.WriteLine($"Took {taken} of {changes} changes.");
        return done.Any(item => item.Action == MemoryCopyAction.Skip) ? MemoryAdminCommands.Failed : 0;
    }

    private static MemoryPath ParsePath(string text)
    {
        var full = text.StartsWith(MemoryPath.Root, StringComparison.Ordinal) ? text : MemoryPath.Root + "/" + text.TrimStart('/');
        return MemoryPath.TryParse(full, out var path, out _) ? path : throw new UsageException($"--accept takes all, none or memory paths; {text} is none of them.");
    }

    private static string Reason(AnthropicApiException exception)
    {
        try
        {
            using var body = JsonDocument.Parse(exception.ResponseBody);
            return body.RootElement.GetProperty("error").GetProperty("message").GetString() is { } message ? OneLine(message) : $"HTTP {(int)exception.StatusCode}";
        }
        catch (Exception parse) when (parse is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return $"HTTP {(int)exception.StatusCode}";
        }
    }
}
