using Mnemo;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace OpenTelemetry;

/// <summary>Subscribes an OpenTelemetry set-up to Mnemo's spans and meters (<see cref="MnemoTelemetry"/>).</summary>
public static class MnemoInstrumentationExtensions
{
    /// <summary>Collects Mnemo's spans and metrics: <c>services.AddOpenTelemetry().AddMnemoInstrumentation()</c>.</summary>
    /// <param name="builder">The application's OpenTelemetry builder.</param>
    /// <returns>The builder.</returns>
    public static IOpenTelemetryBuilder AddMnemoInstrumentation(this IOpenTelemetryBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder
            .WithTracing(tracing => tracing.AddMnemoInstrumentation())
            .WithMetrics(metrics => metrics.AddMnemoInstrumentation());
    }

    /// <summary>Collects Mnemo's spans: memory commands, context edits, agent turns.</summary>
    /// <param name="builder">The tracer provider's builder.</param>
    /// <returns>The builder.</returns>
    public static TracerProviderBuilder AddMnemoInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(MnemoTelemetry.SourceName);
    }

    /// <summary>Collects Mnemo's metrics: context editing and preservation (<c>Mnemo.Agent</c>), the memory server's (<c>Mnemo.Server</c>).</summary>
    /// <param name="builder">The meter provider's builder.</param>
    /// <returns>The builder.</returns>
    public static MeterProviderBuilder AddMnemoInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter([.. MnemoTelemetry.MeterNames]);
    }
}
