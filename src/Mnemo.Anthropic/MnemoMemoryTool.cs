using System.Text.Json;
using Anthropic.Helpers.Beta;
using Anthropic.Models.Beta.Messages;
using Mnemo.Memory;
using Mnemo.Memory.Safety;

namespace Mnemo.Anthropic;

/// <summary>Represents Mnemo's memory tool for the official Anthropic SDK's <see cref="BetaToolRunner"/>.</summary>
/// <remarks>
/// <para>Pass it to <c>client.Beta.Messages.ToolRunner(parameters, [tool])</c>: the runner sends the
/// <c>memory_20250818</c> definition, and every <c>memory</c> tool call the model makes runs through
/// the memory tool (a <see cref="MemoryTool"/> and its stages) against the store. A failed command throws <see cref="BetaToolError"/>, which the runner
/// sends back with <c>is_error: true</c> and the exact message; nothing else is thrown but cancellation, so no host path
/// or stack trace reaches the model.</para>
/// <para>Commands are parsed from the raw JSON of the tool call, not from the SDK's typed commands, so a malformed call
/// (an unknown command, a missing or mistyped parameter) gets the same one-line error as everywhere else in Mnemo.</para>
/// </remarks>
public sealed class MnemoMemoryTool : BetaAbstractMemoryTool
{
    /// <summary>Initializes a new instance of the <see cref="MnemoMemoryTool"/> class.</summary>
    /// <param name="tool">The memory tool that executes the commands: a <see cref="MemoryTool"/>, or one composed with stages.</param>
    /// <param name="cacheControl">An optional prompt-cache breakpoint on the tool definition.</param>
    public MnemoMemoryTool(IMemoryTool tool, BetaCacheControlEphemeral? cacheControl = null)
        : base(cacheControl)
    {
        ArgumentNullException.ThrowIfNull(tool);
        Tool = tool;
    }

    /// <summary>Initializes a new instance of the <see cref="MnemoMemoryTool"/> class over a store, with default tool options and
    /// the default screening of what is written (<see cref="Memory.Safety.MemorySafety.Default"/>).</summary>
    /// <param name="store">The store that holds the memory files.</param>
    /// <param name="cacheControl">An optional prompt-cache breakpoint on the tool definition.</param>
    public MnemoMemoryTool(IMemoryStore store, BetaCacheControlEphemeral? cacheControl = null)
        : this(new MemoryTool(store).AsBuilder().UseScreening().Build(), cacheControl)
    {
    }

    /// <summary>Gets the memory tool that executes the commands.</summary>
    public IMemoryTool Tool { get; }

    /// <summary>Executes a command from the raw JSON of the model's tool call.</summary>
    /// <param name="command">The command as the SDK parsed it; only its raw JSON is read.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The result text.</returns>
    /// <exception cref="BetaToolError">The command failed; its content is the message for the model.</exception>
    public override Task<BetaToolResultBlockParamContent> ExecuteAsync(
        BetaMemoryTool20250818Command command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        return RunAsync(command.Json, cancellationToken);
    }

    /// <inheritdoc/>
    protected override Task<BetaToolResultBlockParamContent> ViewAsync(
        BetaMemoryTool20250818ViewCommand command, CancellationToken cancellationToken) =>
        RunAsync(JsonSerializer.SerializeToElement(command), cancellationToken);

    /// <inheritdoc/>
    protected override Task<BetaToolResultBlockParamContent> CreateAsync(
        BetaMemoryTool20250818CreateCommand command, CancellationToken cancellationToken) =>
        RunAsync(JsonSerializer.SerializeToElement(command), cancellationToken);

    /// <inheritdoc/>
    protected override Task<BetaToolResultBlockParamContent> StrReplaceAsync(
        BetaMemoryTool20250818StrReplaceCommand command, CancellationToken cancellationToken) =>
        RunAsync(JsonSerializer.SerializeToElement(command), cancellationToken);

    /// <inheritdoc/>
    protected override Task<BetaToolResultBlockParamContent> InsertAsync(
        BetaMemoryTool20250818InsertCommand command, CancellationToken cancellationToken) =>
        RunAsync(JsonSerializer.SerializeToElement(command), cancellationToken);

    /// <inheritdoc/>
    protected override Task<BetaToolResultBlockParamContent> DeleteAsync(
        BetaMemoryTool20250818DeleteCommand command, CancellationToken cancellationToken) =>
        RunAsync(JsonSerializer.SerializeToElement(command), cancellationToken);

    /// <inheritdoc/>
    protected override Task<BetaToolResultBlockParamContent> RenameAsync(
        BetaMemoryTool20250818RenameCommand command, CancellationToken cancellationToken) =>
        RunAsync(JsonSerializer.SerializeToElement(command), cancellationToken);

    private async Task<BetaToolResultBlockParamContent> RunAsync(JsonElement input, CancellationToken cancellationToken)
    {
        var result = await Tool.ExecuteAsync(input, cancellationToken).ConfigureAwait(false);
        return result.IsError ? throw new BetaToolError(result.Content) : (BetaToolResultBlockParamContent)result.Content;
    }
}
