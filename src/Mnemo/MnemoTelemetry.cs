using System.Diagnostics;

namespace Mnemo;

/// <summary>Where Mnemo's traces and metrics come from, for an OpenTelemetry set-up: the activity source of its spans
/// (memory commands, context edits, agent turns) and the meters of its figures. They cost nothing until a listener
/// subscribes. Spans carry names, kinds, counts and outcomes, never memory content, paths or tool results.</summary>
public static class MnemoTelemetry
{
    /// <summary>The name of the activity source every Mnemo span comes from.</summary>
    public const string SourceName = "Mnemo";

    /// <summary>Gets the names of Mnemo's meters: the agent's and chat clients' context figures (<c>Mnemo.Agent</c>) and
    /// the memory server's (<c>Mnemo.Server</c>).</summary>
    public static IReadOnlyList<string> MeterNames { get; } = ["Mnemo.Agent", "Mnemo.Server"];

    /// <summary>Gets the activity source of Mnemo's spans.</summary>
    public static ActivitySource Source { get; } = new(SourceName, typeof(MnemoTelemetry).Assembly.GetName().Version?.ToString());
}
