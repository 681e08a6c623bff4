namespace Mnemo.Context;

/// <summary>Named starting points for <c>clear_tool_uses_20250919</c>, one per kind of work: each clears past a trigger,
/// keeps the most recent tool uses, clears only when it frees enough to pay for the cache it breaks, and never clears
/// memory.</summary>
/// <remarks>
/// <list type="table">
/// <item><term><c>development</c></term><description>trigger 100,000, keep 5, clear at least 10,000, memory excluded.</description></item>
/// <item><term><c>heavy-files</c></term><description>as development with trigger 75,000: large file reads fill the context fast.</description></item>
/// <item><term><c>research</c></term><description>as development with trigger 150,000: earlier findings stay longer.</description></item>
/// <item><term><c>debugging</c></term><description>as development keeping 8: recent traces and logs stay in view.</description></item>
/// <item><term><c>code-review</c></term><description>as development keeping 12: the files under review stay in view.</description></item>
/// </list>
/// </remarks>
public static class ContextPresets
{
    /// <summary>The presets' names, in order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["development", "heavy-files", "research", "debugging", "code-review"];

    /// <summary>Gets the <c>development</c> preset: trigger 100,000, keep 5.</summary>
    public static ContextManagementConfig Development => Clearing(100_000, 5);

    /// <summary>Gets the <c>heavy-files</c> preset: trigger 75,000, keep 5.</summary>
    public static ContextManagementConfig HeavyFiles => Clearing(75_000, 5);

    /// <summary>Gets the <c>research</c> preset: trigger 150,000, keep 5.</summary>
    public static ContextManagementConfig Research => Clearing(150_000, 5);

    /// <summary>Gets the <c>debugging</c> preset: trigger 100,000, keep 8.</summary>
    public static ContextManagementConfig Debugging => Clearing(100_000, 8);

    /// <summary>Gets the <c>code-review</c> preset: trigger 100,000, keep 12.</summary>
    public static ContextManagementConfig CodeReview => Clearing(100_000, 12);

    /// <summary>The configuration of a preset.</summary>
    /// <param name="name">Its name.</param>
    /// <returns>The configuration; <see langword="null"/> for a name no preset has.</returns>
    public static ContextManagementConfig? Find(string name) => name switch
    {
        "development" => Development,
        "heavy-files" => HeavyFiles,
        "research" => Research,
        "debugging" => Debugging,
        "code-review" => CodeReview,
        _ => null,
    };

    private static ContextManagementConfig Clearing(long trigger, long keep) => new(
    [
        new ClearToolUsesEdit
        {
            Trigger = new ContextTrigger(ContextTriggerKind.InputTokens, trigger),
            Keep = keep,
            ClearAtLeast = 10_000,
            ExcludeTools = ["memory"],
        },
    ]);
}
