using System.Buffers;
using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Mnemo.Memory;
using Mnemo.Memory.Safety;

namespace Mnemo.Mcp;

/// <summary>Represents Mnemo's memory as a Model Context Protocol server, for Claude Code, Claude Desktop and any MCP client.</summary>
/// <remarks>
/// <para><b>Tool.</b> One tool, <c>memory</c>, with a <c>command</c> argument and the six commands of
/// <c>memory_20250818</c>. Its results are <see cref="MemoryTool"/>'s, string for string; a failed command is a result
/// with <c>isError: true</c>, as the memory tool's are.</para>
/// <para><b>Resources.</b> Every memory file is a resource, <c>memory:///notes/a.md</c> for <c>/memories/notes/a.md</c>,
/// text when it is UTF-8 and a blob otherwise. Clients may subscribe to a file: they hear of each change to it, and of
/// every file created, deleted or moved, whether the change came through this server or from elsewhere (found by
/// looking at the store every <see cref="MemoryMcpServerOptions.PollInterval"/>).</para>
/// <para><b>Prompt.</b> <c>memory_protocol</c> carries <see cref="MemoryProtocol.Default"/>: view memory first, record
/// progress as you go, assume the context may be cleared.</para>
/// </remarks>
public sealed partial class MemoryMcpServer
{
    /// <summary>The tool's name.</summary>
    public const string ToolName = "memory";

    /// <summary>The prompt's name.</summary>
    public const string PromptName = "memory_protocol";

    /// <summary>The scheme of memory resources' addresses.</summary>
    public const string UriPrefix = "memory:///";

    private readonly IMemoryStore _store;
    private readonly MemoryMcpServerOptions _options;
    private readonly ILogger _log;
    private readonly IMemoryTool _tool;
    private readonly ConcurrentDictionary<string, string?> _subscriptions = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _look = new(1, 1);
    private readonly CommandOrder _order = new();
    private HashSet<string>? _listed;
    private McpServer? _server;

    /// <summary>Initializes a new instance of the <see cref="MemoryMcpServer"/> class.</summary>
    /// <param name="store">The store the memory lives in.</param>
    /// <param name="options">The options; defaults when <see langword="null"/>.</param>
    public MemoryMcpServer(IMemoryStore store, MemoryMcpServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _options = options ?? new MemoryMcpServerOptions();
        var loggers = _options.LoggerFactory ?? NullLoggerFactory.Instance;
        _log = loggers.CreateLogger("Mnemo.Mcp");
        Action<MemoryCommand, Exception> unexpectedError = (command, error) => McpLog.CommandFailed(_log, command.Name, error);
        var tool = new MemoryTool(store, new MemoryToolOptions { UnexpectedError = unexpectedError }).AsBuilder();
        if (_options.Safety is { } safety)
        {
            tool.UseScreening(safety, unexpectedError: unexpectedError);
        }

        _tool = tool.Build();
        ServerOptions = new McpServerOptions
        {
            ServerInfo = new Implementation { Name = "mnemo", Title = "Mnemo memory", Version = Version },
            ServerInstructions =
                "Mnemo memory: a /memories directory that outlives the conversation. Use the memory tool to view it before " +
                "starting and to record progress as you go; the memory_protocol prompt says how. Memory files are also resources, memory:///PATH.",
            Capabilities = new ServerCapabilities
            {
                Tools = new ToolsCapability { ListChanged = false },
                Resources = new ResourcesCapability { Subscribe = true, ListChanged = true },
                Prompts = new PromptsCapability { ListChanged = false },
            },
            Handlers = new McpServerHandlers
            {
                ListToolsHandler = (_, _) => ValueTask.FromResult(new ListToolsResult { Tools = [Tool] }),
                CallToolHandler = CallToolAsync,
                ListResourcesHandler = ListResourcesAsync,
                ListResourceTemplatesHandler = (_, _) => ValueTask.FromResult(new ListResourceTemplatesResult
                {
                    ResourceTemplates = [new ResourceTemplate { Name = "memory file", UriTemplate = UriPrefix + "{+path}", Description = "A file under /memories, by its path below it." }],
                }),
                ReadResourceHandler = ReadResourceAsync,
                SubscribeToResourcesHandler = SubscribeAsync,
                UnsubscribeFromResourcesHandler = (request, _) =>
                {
                    _subscriptions.TryRemove(request.Params?.Uri ?? string.Empty, out string? _);
                    return ValueTask.FromResult(new EmptyResult());
                },
                ListPromptsHandler = (_, _) => ValueTask.FromResult(new ListPromptsResult { Prompts = [Prompt] }),
                GetPromptHandler = GetPromptAsync,
            },
        };
    }

    /// <summary>Gets the options the SDK's server is made with: the handlers, the capabilities, the server's name.</summary>
    public McpServerOptions ServerOptions { get; }

    /// <summary>Gets the tool's definition, with an input schema that documents every parameter.</summary>
    public static Tool Tool { get; } = new()
    {
        Name = ToolName,
        Title = "Memory",
        Description = MemoryToolFunction.ToolDescription,
        InputSchema = MemoryToolFunction.InputSchema,
    };

    /// <summary>Gets the prompt that carries the memory protocol.</summary>
    public static Prompt Prompt { get; } = new()
    {
        Name = PromptName,
        Title = "Memory protocol",
        Description = "How to use memory: view it before anything else, record progress and findings as you go, assume the context may be cleared.",
    };

    private static string Version =>
        typeof(MemoryMcpServer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>Serves a client over standard input and output until the client closes them or <paramref name="cancellationToken"/> fires.</summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the session is over.</returns>
    /// <remarks>
    /// <para>Standard output carries the protocol and nothing else; the caller keeps its own output off it.</para>
    /// <para>Every request read is answered before the session ends, also when the client closes its input straight
    /// after writing them, and the client's memory commands take effect in the order it sent them (views and resource
    /// reads still run alongside each other).</para>
    /// </remarks>
    public Task RunStdioAsync(CancellationToken cancellationToken = default) =>
        RunStreamsAsync(Console.OpenStandardInput(), Console.OpenStandardOutput(), cancellationToken);

    /// <summary>Serves a client over a pair of streams, one JSON-RPC message a line, as <see cref="RunStdioAsync"/> does over standard input and output.</summary>
    /// <param name="input">The client's messages.</param>
    /// <param name="output">Where the answers go.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the input has ended and every request read has been answered.</returns>
    public async Task RunStreamsAsync(Stream input, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        await using var transport = new LineStreamTransport(input, output, _order, _options.DrainLimit, _options.LoggerFactory);
        await RunAsync(transport, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Serves a client over a transport until the session ends or <paramref name="cancellationToken"/> fires.</summary>
    /// <remarks>Over a transport of the SDK's, memory commands run as the SDK dispatches them, which need not be the
    /// order they were sent in; <see cref="RunStdioAsync"/> and <see cref="RunStreamsAsync"/> keep that order.</remarks>
    /// <param name="transport">The transport.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the session is over.</returns>
    public async Task RunAsync(ITransport transport, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        await using var server = McpServer.Create(transport, ServerOptions, _options.LoggerFactory);
        _server = server;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watching = _options.PollInterval is { } interval ? WatchAsync(interval, stop.Token) : Task.CompletedTask;
        try
        {
            await server.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await watching.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>The resource address of a memory path: <c>memory:///notes/a.md</c> for <c>/memories/notes/a.md</c>.</summary>
    /// <param name="path">The path.</param>
    /// <returns>The address, each name percent-encoded.</returns>
    public static string UriOf(MemoryPath path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return UriPrefix + string.Join('/', path.Segments.Select(Uri.EscapeDataString));
    }

    /// <summary>The memory path of a resource address.</summary>
    /// <param name="uri">The address.</param>
    /// <param name="path">The path, when the address is one.</param>
    /// <returns><see langword="true"/> when <paramref name="uri"/> names a path under <c>/memories</c>.</returns>
    public static bool TryParseUri(string? uri, out MemoryPath? path)
    {
        path = null;
        if (uri is null || !uri.StartsWith(UriPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var names = uri[UriPrefix.Length..].Split('/').Select(Uri.UnescapeDataString).ToArray();
        if (names.Any(name => name.Length == 0 || name.Contains('/', StringComparison.Ordinal)) ||
            !MemoryPath.TryParse(MemoryPath.Root + "/" + string.Join('/', names), out var parsed, out _) ||
            parsed.Segments.Count != names.Length || parsed.IsRoot)
        {
            return false;
        }

        path = parsed;
        return true;
    }

    private async ValueTask<CallToolResult> CallToolAsync(RequestContext<CallToolRequestParams> request, CancellationToken cancellationToken)
    {
        var call = request.Params ?? throw new McpProtocolException("tools/call needs params.", McpErrorCode.InvalidParams);
        if (call.Name != ToolName)
        {
            throw new McpProtocolException($"Unknown tool: {call.Name}. This server has one tool, {ToolName}.", McpErrorCode.InvalidParams);
        }

        // The arguments become the one JSON object the memory tool reads, so a malformed call gets the tool's own message.
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in call.Arguments ?? new Dictionary<string, JsonElement>())
            {
                writer.WritePropertyName(name);
                value.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        using var input = JsonDocument.Parse(buffer.WrittenMemory);
        var actor = request.Server.ClientInfo?.Name is { Length: > 0 } client ? $"{_options.Actor}/{client}" : _options.Actor;
        MemoryToolResult result;
        MemoryCommand? command;
        var id = request.JsonRpcRequest.Id;
        try
        {
            await _order.WaitTurnAsync(id, cancellationToken).ConfigureAwait(false);
            result = MemoryCommand.TryParse(input.RootElement, out command, out var error)
                ? await _tool.ExecuteAsync(command, actor, cancellationToken).ConfigureAwait(false)
                : MemoryToolResult.Error(error);
        }
        finally
        {
            _order.Complete(id);
        }

        if (!result.IsError && command is { IsWrite: true })
        {
            await AfterWriteAsync(command, CancellationToken.None).ConfigureAwait(false);
        }

        return new CallToolResult { Content = [new TextContentBlock { Text = result.Content }], IsError = result.IsError };
    }

    private ValueTask<GetPromptResult> GetPromptAsync(RequestContext<GetPromptRequestParams> request, CancellationToken cancellationToken)
    {
        if (request.Params?.Name != PromptName)
        {
            throw new McpProtocolException($"Unknown prompt: {request.Params?.Name}. This server has one prompt, {PromptName}.", McpErrorCode.InvalidParams);
        }

        return ValueTask.FromResult(new GetPromptResult
        {
            Description = Prompt.Description,
            Messages = [new PromptMessage { Role = Role.User, Content = new TextContentBlock { Text = MemoryProtocol.Default } }],
        });
    }

    /// <summary>Tells subscribers of what a write through this server changed, at once rather than at the next look.</summary>
    private async Task AfterWriteAsync(MemoryCommand command, CancellationToken cancellationToken)
    {
        var (paths, listChanged) = command switch
        {
            CreateMemoryCommand create => ((string?[])[create.Path], true),
            RenameMemoryCommand rename => ([rename.OldPath, rename.NewPath], true),
            DeleteMemoryCommand delete => ([delete.Path], true),
            StrReplaceMemoryCommand replace => ([replace.Path], false),
            InsertMemoryCommand insert => ([insert.Path], false),
            _ => ([], false),
        };
        var touched = paths.Select(text => MemoryPath.TryParse(text, out var parsed, out _) ? parsed : null).OfType<MemoryPath>().ToList();
        await LookAsync(touched, listChanged, cancellationToken).ConfigureAwait(false);
    }

    private async Task WatchAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await LookAsync(null, listChanged: false, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is MemoryException or IOException)
            {
                McpLog.LookFailed(_log, exception.Message);
            }
        }
    }

    /// <summary>Compares the store with what subscribers last heard and sends what changed.</summary>
    /// <param name="touched">The paths a write just touched; <see langword="null"/> to check every subscribed file.</param>
    /// <param name="listChanged">Whether the write created, deleted or moved something.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    private async Task LookAsync(IReadOnlyList<MemoryPath>? touched, bool listChanged, CancellationToken cancellationToken)
    {
        if (_server is not { } server)
        {
            return;
        }

        await _look.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (touched is null || listChanged)
            {
                var listed = (await FilesAsync(cancellationToken).ConfigureAwait(false)).Select(file => UriOf(file.Path)).ToHashSet(StringComparer.Ordinal);
                if (_listed is { } before && !before.SetEquals(listed))
                {
                    await server.SendNotificationAsync(NotificationMethods.ResourceListChangedNotification, new ResourceListChangedNotificationParams(),
                        McpJsonUtilities.DefaultOptions, cancellationToken).ConfigureAwait(false);
                }

                _listed = listed;
            }

            foreach (var (uri, known) in _subscriptions)
            {
                if (!TryParseUri(uri, out var path) || (touched is not null && !touched.Any(write => write.IsSameOrAncestorOf(path!))))
                {
                    continue;
                }

                var now = VersionOf(await ReadQuietlyAsync(path!, cancellationToken).ConfigureAwait(false));
                if (now != known && _subscriptions.TryUpdate(uri, now, known))
                {
                    await server.SendNotificationAsync(NotificationMethods.ResourceUpdatedNotification, new ResourceUpdatedNotificationParams { Uri = uri },
                        McpJsonUtilities.DefaultOptions, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _look.Release();
        }
    }

    private async Task<MemoryItem?> ReadQuietlyAsync(MemoryPath path, CancellationToken cancellationToken)
    {
        try
        {
            return await _store.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (MemoryPathEscapeException)
        {
            return null; // a link out of the root, or the store's own folder: not a resource
        }
    }
}
