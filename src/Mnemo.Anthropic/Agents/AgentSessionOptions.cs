using System.Globalization;
using System.Diagnostics.Metrics;
using Anthropic.Helpers.Beta;
using Mnemo.Context;
using Mnemo.Memory;
using Mnemo.Tokens;

namespace Mnemo.Anthropic.Agents;

/// <summary>Represents the options of an <see cref="AgentSession"/>.</summary>
/// <remarks>The session validates them when it is built, before anything is sent, and copies what it needs.</remarks>
public sealed class AgentSessionOptions
{
    /// <summary>Gets or sets the model to use, such as <c>claude-sonnet-4-5</c>.</summary>
    /// <value>Required; no default.</value>
    public string Model { get; set; } = string.Empty;

    /// <summary>Gets or sets the most tokens one response may hold.</summary>
    /// <value>4,096 by default.</value>
    public int MaxTokens { get; set; } = 4096;

    /// <summary>Gets or sets the system prompt: the agent's role and task.</summary>
    /// <value>None by default.</value>
    public string? SystemPrompt { get; set; }

    /// <summary>Gets or sets the memory protocol added to the system prompt when the session has a memory tool.</summary>
    /// <value>
    /// <see cref="AgentSession.DefaultMemoryProtocol"/> by default: check memory first, record progress as you go, assume
    /// the context may be reset at any time. <see langword="null"/> or empty leaves it out.
    /// </value>
    public string? MemoryProtocol { get; set; } = AgentSession.DefaultMemoryProtocol;

    /// <summary>Gets or sets the memory tool the model's <c>memory</c> calls run through: a <see cref="MemoryTool"/>, or one
    /// composed with stages such as screening and audit (<see cref="MemoryToolExtensions.AsBuilder"/>).</summary>
    /// <value>None by default: the session then offers no memory tool.</value>
    public IMemoryTool? Memory { get; set; }

    /// <summary>Gets the other tools the session runs when the model calls them, such as a file reader.</summary>
    public IList<IBetaRunnableTool> Tools { get; } = [];

    /// <summary>Gets or sets the context editing to apply: the API's <c>context_management</c> configuration.</summary>
    /// <value>None by default: requests go out whole.</value>
    /// <remarks>
    /// Unless <see cref="ClearMemoryToolUses"/> is set, every <c>clear_tool_uses_20250919</c> edit gets <c>memory</c> added
    /// to its <c>exclude_tools</c>, and memory calls are never cleared.
    /// </remarks>
    public ContextManagementConfig? ContextManagement { get; set; }

    /// <summary>Gets or sets where context editing runs.</summary>
    /// <value><see cref="ContextEditingSide.Server"/> by default.</value>
    public ContextEditingSide ContextEditing { get; set; } = ContextEditingSide.Server;

    /// <summary>Gets or sets a value indicating whether context editing may clear the memory tool's calls and results.</summary>
    /// <value><see langword="false"/> by default: what the model read from or wrote to memory stays in its context.</value>
    public bool ClearMemoryToolUses { get; set; }

    /// <summary>Gets or sets the counter that projects each request's input tokens and, on the client side, triggers editing.</summary>
    /// <value>
    /// <see langword="null"/> by default, for a <see cref="UsageCalibratedTokenCounter"/>: exact for what was sent
    /// (from each response's usage) and estimated only for what was added since.
    /// </value>
    public ITokenCounter? TokenCounter { get; set; }

    /// <summary>Gets or sets the text that replaces a cleared tool result on the client side; <c>{id}</c> in it becomes the
    /// result's id for <see cref="RecallTool"/>.</summary>
    /// <value>With recall on, <c>[cleared to save context: recall id={id} to see it again]</c> by default; else the
    /// placeholder of <see cref="ContextEditorOptions"/>.</value>
    public string? ClearedPlaceholder { get; set; }

    /// <summary>Gets or sets whether cleared tool results are kept whole in the session's archive
    /// (<see cref="AgentSession.ClearedResults"/>, outside the model's memory) and the model gets the <c>recall</c> tool to
    /// list them and bring one back exactly as it was.</summary>
    /// <value><see langword="null"/> by default: on when the configuration clears tool uses and no tool of the session is
    /// named <c>recall</c>. <see langword="true"/> with such a tool is refused.</value>
    public bool? Recall { get; set; }

    /// <summary>Gets or sets the most bytes of cleared results the archive keeps; past it, the oldest are dropped first.</summary>
    /// <value>16 MiB by default.</value>
    public long RecallArchiveBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Gets or sets whether, at each clearing, the session appends a digest of what it cleared to a memory file
    /// (<see cref="DigestPath"/>): each result's id, tool, input, size and summary, and when, why and how much was cleared.
    /// Needs <see cref="Memory"/>.</summary>
    /// <value><see langword="false"/> by default.</value>
    public bool ClearedResultDigests { get; set; }

    /// <summary>Gets or sets the memory file the digests go to.</summary>
    /// <value><c>/memories/session-context/cleared-results.md</c> by default.</value>
    public string DigestPath { get; set; } = "/memories/session-context/cleared-results.md";

    /// <summary>Gets or sets the most bytes the digest file holds; past it, the oldest entries are folded into one line
    /// each (id, tool and input).</summary>
    /// <value>16 KiB by default.</value>
    public int DigestFileBytes { get; set; } = 16 * 1024;

    /// <summary>Gets or sets what summarises each cleared result for its digest.</summary>
    /// <value><see langword="null"/> by default, for <see cref="ExtractiveToolResultSummarizer"/> (no model, deterministic);
    /// a <see cref="ChatClientToolResultSummarizer"/> asks a model.</value>
    public IToolResultSummarizer? DigestSummarizer { get; set; }

    /// <summary>Gets or sets adaptive mode: when set, the tool-use clearing of <see cref="ContextManagement"/> is where it
    /// starts, and between requests <c>keep</c> and <c>exclude_tools</c> follow what happens to what it clears (needed
    /// again soon, by a recall or by running the tool again; or never), and clearing comes in batches that each pay for
    /// the prompt-cache write they cause, at the model's prices (see <see cref="AdaptiveClearing"/>). Each change is an
    /// <see cref="AgentAdaptiveChangeEvent"/>. <see langword="null"/> (the default) keeps the configuration as given.</summary>
    public AdaptiveClearingOptions? Adaptive { get; set; }

    /// <summary>Gets or sets a value indicating whether requests ask the API to cache their prompt: a top-level
    /// <c>cache_control</c> of type <c>ephemeral</c>, which puts the breakpoint on the last cacheable block, so each request
    /// reads what the one before it wrote. <see langword="true"/> by default; what a clearing costs in cache writes, and
    /// what adaptive mode's batches save, rest on it.</summary>
    public bool PromptCaching { get; set; } = true;

    /// <summary>Gets or sets the share of the trigger at which the model is warned that clearing is near.</summary>
    /// <value>0.8 by default; between 0 (exclusive) and 1 (inclusive). <see langword="null"/> turns the warning off.</value>
    public double? WarningRatio { get; set; } = 0.8;

    /// <summary>Gets or sets how firmly the model is warned before anything is cleared or compacted.</summary>
    /// <value><see langword="null"/> by default: <see cref="Agents.PreserveBeforeClear.Guarantee"/> when the session has a
    /// memory tool, <see cref="Agents.PreserveBeforeClear.Never"/> without one. Setting <c>Warn</c> or <c>Guarantee</c>
    /// without a memory tool is refused: there would be nothing to save to.</value>
    public PreserveBeforeClear? PreserveBeforeClear { get; set; }

    /// <summary>Gets or sets the share of the trigger that one tool result may fill before the next request is warned,
    /// whatever the ratio: a large result is the step that jumps past the trigger.</summary>
    /// <value>0.25 by default; above 0 and at most 1.</value>
    public double LookAheadShare { get; set; } = 0.25;

    /// <summary>Gets or sets the warning added to the conversation once per approach to a clearing.</summary>
    /// <value><see cref="AgentSession.DefaultContextWarning"/> by default.</value>
    public string ContextWarning { get; set; } = AgentSession.DefaultContextWarning;

    /// <summary>Gets or sets the warning added instead of <see cref="ContextWarning"/> when the trigger drawing near is
    /// compaction's (<c>compact_20260112</c>): the older context is about to be summarised.</summary>
    /// <value><see cref="AgentSession.DefaultCompactionWarning"/> by default.</value>
    public string CompactionWarning { get; set; } = AgentSession.DefaultCompactionWarning;

    /// <summary>Gets or sets what summarises the older context when compaction runs on the client side.</summary>
    /// <value><see langword="null"/> by default: the session asks its own client and model for the summary, with the
    /// edit's <c>instructions</c> or <see cref="Mnemo.Context.CompactionPrompt.Default"/>.</value>
    public IContextSummarizer? CompactionSummarizer { get; set; }

    /// <summary>Gets or sets the most requests one <see cref="AgentSession.RunAsync(string, CancellationToken)"/> sends.</summary>
    /// <value>25 by default.</value>
    public int MaxTurns { get; set; } = 25;

    /// <summary>Gets or sets a value indicating whether responses are streamed, so text arrives as it is written.</summary>
    /// <value><see langword="false"/> by default.</value>
    public bool Streaming { get; set; }

    /// <summary>Gets or sets the extended-thinking budget in tokens.</summary>
    /// <value>None by default: thinking is off. At least 1,024 and under <see cref="MaxTokens"/>.</value>
    public int? ThinkingBudgetTokens { get; set; }

    /// <summary>Gets or sets a value indicating whether the model thinks adaptively (<c>{"type": "adaptive"}</c>): it decides
    /// when and how much; the only setting the newest models take.</summary>
    /// <value><see langword="false"/> by default: the request leaves <c>thinking</c> out (the model's default; on the newest
    /// models that is adaptive thinking), unless <see cref="ThinkingBudgetTokens"/> is set.</value>
    public bool AdaptiveThinking { get; set; }

    /// <summary>Gets other beta features to send in <c>anthropic-beta</c>; the session adds those it needs itself.</summary>
    public IList<string> Betas { get; } = [];

    /// <summary>Gets or sets the callback that receives each event as it happens, such as a console that prints them.</summary>
    /// <value>None by default.</value>
    /// <remarks>It runs on the session's own flow; an exception it throws stops the run, and the conversation stays whole.</remarks>
    public Action<AgentEvent>? OnEvent { get; set; }

    /// <summary>Gets or sets the factory of the meter the session's metrics are reported on.</summary>
    /// <value>None by default, for a process-wide meter named <see cref="AgentMetrics.MeterName"/>.</value>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>Gets or sets where the session's events go as log lines (category <c>Mnemo.Agent</c>, each with its
    /// event id): names, numbers and outcomes, never messages, tool results or memory content. None when <see langword="null"/>.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Gets or sets the clock that times tool calls.</summary>
    /// <value><see cref="TimeProvider.System"/> by default.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Gets or sets where the session's record goes: a JSON line per event (requests with projected and billed
    /// tokens, clearings, warnings, preservation outcomes, memory reads and writes, recalls, the end of each run) for the
    /// dashboard; sizes, names and ids only, never memory content or tool results.</summary>
    /// <value><see langword="null"/> by default: no record. <see cref="Mnemo.Sessions.FolderSessionRecords"/> keeps them in a folder.</value>
    public Mnemo.Sessions.ISessionRecordStore? Records { get; set; }

    /// <summary>Gets or sets what the record says of the session beyond what the options give (the model, the editing side
    /// and the trigger come from them): the agent's and the store's names.</summary>
    /// <value><see langword="null"/> by default.</value>
    public Mnemo.Sessions.SessionInfo? RecordInfo { get; set; }

    /// <summary>Gets or sets the session's id in its record.</summary>
    /// <value><see langword="null"/> by default: a new id, from the time and a random part.</value>
    public string? SessionId { get; set; }

    /// <summary>Checks the options before anything is sent, naming the option at fault and the fix.</summary>
    /// <exception cref="ArgumentException">An option is missing or out of range.</exception>
    internal void Validate()
    {
        if (SessionId is not null && !Mnemo.Sessions.SessionRecords.IsValidId(SessionId))
        {
            throw new ArgumentException("AgentSessionOptions.SessionId must be 1 to 100 letters, digits, '.', '_' or '-', not starting with '.'.", "options");
        }

        if (string.IsNullOrWhiteSpace(Model))
        {
            throw new ArgumentException("AgentSessionOptions.Model is required: name the model to use, such as claude-sonnet-4-5.", "options");
        }

        if (MaxTokens < 1)
        {
            throw new ArgumentException("AgentSessionOptions.MaxTokens must be at least 1.", "options");
        }

        if (MaxTurns < 1)
        {
            throw new ArgumentException("AgentSessionOptions.MaxTurns must be at least 1.", "options");
        }

        if (WarningRatio is { } ratio && (double.IsNaN(ratio) || ratio <= 0 || ratio > 1))
        {
            throw new ArgumentException(
                "AgentSessionOptions.WarningRatio must be above 0 and at most 1 (a share of the trigger), or null for no warning.", "options");
        }

        if (Adaptive is { } adaptive)
        {
            if (ContextManagement?.Edits.Any(edit => edit is ClearToolUsesEdit) != true)
            {
                throw new ArgumentException(
                    $"AgentSessionOptions.Adaptive: adaptive mode adjusts a {ClearToolUsesEdit.TypeName} edit, and ContextManagement has none; give one (a profile's, such as ContextPresets.Development), or leave Adaptive unset.", "options");
            }

            adaptive.Validate("AgentSessionOptions.Adaptive");
        }

        if (PreserveBeforeClear is { } preserve && !Enum.IsDefined(preserve))
        {
            throw new ArgumentException("AgentSessionOptions.PreserveBeforeClear must be Never, Warn or Guarantee.", "options");
        }

        if (PreserveBeforeClear is Agents.PreserveBeforeClear.Warn or Agents.PreserveBeforeClear.Guarantee && Memory is null)
        {
            throw new ArgumentException(
                $"AgentSessionOptions.PreserveBeforeClear is {PreserveBeforeClear}, but the session has no memory tool to save to: set Memory, or PreserveBeforeClear = Never.", "options");
        }

        if (double.IsNaN(LookAheadShare) || LookAheadShare <= 0 || LookAheadShare > 1)
        {
            throw new ArgumentException("AgentSessionOptions.LookAheadShare must be above 0 and at most 1 (a share of the trigger).", "options");
        }

        if (string.IsNullOrWhiteSpace(CompactionWarning))
        {
            throw new ArgumentException("AgentSessionOptions.CompactionWarning must have text; set WarningRatio to null for no warning.", "options");
        }

        if (string.IsNullOrWhiteSpace(ContextWarning))
        {
            throw new ArgumentException("AgentSessionOptions.ContextWarning must have text; set WarningRatio to null for no warning.", "options");
        }

        if (ThinkingBudgetTokens is { } budget && (budget < 1024 || budget >= MaxTokens))
        {
            throw new ArgumentException(
                "AgentSessionOptions.ThinkingBudgetTokens must be at least 1024 and less than MaxTokens, as the API requires.", "options");
        }

        if (AdaptiveThinking && ThinkingBudgetTokens is not null)
        {
            throw new ArgumentException("AgentSessionOptions.AdaptiveThinking and ThinkingBudgetTokens cannot both be set: choose adaptive or manual thinking.", "options");
        }

        // What the model table knows of the model is checked here, in the API's words, rather than by a 400 later.
        if (ClaudeModels.Find(Model) is { IsKnown: true, Model: var model })
        {
            if (MaxTokens > model.MaxOutputTokens)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"AgentSessionOptions.MaxTokens: max_tokens: {MaxTokens} > {model.MaxOutputTokens}, which is the maximum allowed number of output tokens for {model.Id}"), "options");
            }

            if (ThinkingBudgetTokens is not null && (model.Thinking & ThinkingModes.Enabled) == 0)
            {
                throw new ArgumentException(
                    "AgentSessionOptions.ThinkingBudgetTokens: `thinking.type.enabled` is not supported for this model. Use `thinking.type.adaptive` and `output_config.effort` to control thinking behavior (set AdaptiveThinking).", "options");
            }

            if (AdaptiveThinking && (model.Thinking & ThinkingModes.Adaptive) == 0)
            {
                throw new ArgumentException(
                    "AgentSessionOptions.AdaptiveThinking: `thinking.type.adaptive` is not supported for this model. Use `thinking.type.enabled` with `budget_tokens` (set ThinkingBudgetTokens).", "options");
            }
        }

        if (ClearedResultDigests && (Memory is null || Memory.GetService(typeof(Mnemo.Memory.IMemoryStore)) is null))
        {
            throw new ArgumentException("AgentSessionOptions.ClearedResultDigests needs a memory tool with a store (Memory): the digest is a memory file.", "options");
        }

        if (ClearedResultDigests && (!Mnemo.Memory.MemoryPath.TryParse(DigestPath, out var digest, out _) || digest.Segments.Count == 0))
        {
            throw new ArgumentException($"AgentSessionOptions.DigestPath: '{DigestPath}' is not a file path under /memories.", "options");
        }

        if (DigestFileBytes < 1024)
        {
            throw new ArgumentException("AgentSessionOptions.DigestFileBytes must be at least 1,024.", "options");
        }

        if (RecallArchiveBytes < 1)
        {
            throw new ArgumentException("AgentSessionOptions.RecallArchiveBytes must be at least 1.", "options");
        }

        if (!Enum.IsDefined(ContextEditing))
        {
            throw new ArgumentException("AgentSessionOptions.ContextEditing must be Server or Client.", "options");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}

/// <summary>Specifies how firmly the model is warned before context is cleared or compacted.</summary>
public enum PreserveBeforeClear
{
    /// <summary>No warning.</summary>
    Never,

    /// <summary>A warning once per approach, from <see cref="AgentSessionOptions.WarningRatio"/>; when the context jumps
    /// past the trigger in one step, the warning and the clearing can land on the same request.</summary>
    Warn,

    /// <summary>As <see cref="Warn"/>, and a request that would clear is never the first to carry the warning: that request
    /// goes out unedited (the API's trigger raised above it for that request alone), and the clearing comes with the
    /// next. Costs one request larger than the trigger; when even that would not fit the model's window, the clearing
    /// goes ahead and the approach is recorded as not warned.</summary>
    Guarantee,
}

/// <summary>Specifies where context editing runs.</summary>
public enum ContextEditingSide
{
    /// <summary>The API edits: the request carries <c>context_management</c> and the response reports <c>applied_edits</c>.</summary>
    Server,

    /// <summary>
    /// Mnemo edits a copy of each request before it is sent, with the API's rules and reports, for providers and models
    /// that do not edit themselves.
    /// </summary>
    Client,
}
