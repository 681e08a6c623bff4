using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Core;
using Anthropic.Helpers.Beta;
using Anthropic.Models.Beta.Messages;
using Mnemo.Anthropic.Agents;
using Mnemo.Memory;
using Mnemo.Memory.FileSystem;
using Mnemo.Emulator;
using Mnemo.Tests;

namespace Mnemo.Anthropic.Tests.Agents;

/// <summary>
/// An emulator playing a script, the official SDK's client pointed at it, and a memory folder on disk: what an
/// <see cref="AgentSession"/> runs against in these tests.
/// </summary>
internal sealed class AgentHarness : IAsyncDisposable
{
    public const string Model = "claude-sonnet-4-5";

    private readonly TempDirectory _temp = new();

    private AgentHarness(MessagesEmulator emulator)
    {
        Emulator = emulator;
        Store = new FileSystemMemoryStore(_temp.Combine("memories"));
        Client = new AnthropicClient(new ClientOptions { ApiKey = "test-key", BaseUrl = emulator.BaseAddress.ToString().TrimEnd('/'), MaxRetries = 0 });
    }

    public MessagesEmulator Emulator { get; }

    public FileSystemMemoryStore Store { get; }

    public AnthropicClient Client { get; }

    /// <summary>Every event of every session made here, in order.</summary>
    public List<AgentEvent> Events { get; } = [];

    public string MemoryFolder => _temp.Combine("memories");

    public static async Task<AgentHarness> StartAsync(string yaml) =>
        new(await MessagesEmulator.StartAsync(
            new MessagesEmulatorOptions { Script = AssistantScript.ParseYaml(yaml) }, TestContext.Current.CancellationToken));

    /// <summary>A session with this harness's memory, its events recorded in <see cref="Events"/>.</summary>
    public AgentSession Session(Action<AgentSessionOptions>? configure = null)
    {
        var options = new AgentSessionOptions
        {
            Model = Model,
            Memory = new MemoryTool(Store),
            OnEvent = Events.Add,
        };
        configure?.Invoke(options);
        return new AgentSession(Client, options);
    }

    public IEnumerable<T> Of<T>() where T : AgentEvent => Events.OfType<T>();

    /// <summary>A <c>read_file</c> tool that returns a made-up source file of about <paramref name="lines"/> lines for any path.</summary>
    public static IBetaRunnableTool ReadFile(int lines = 30) => new BetaRunnableTool
    {
        Name = "read_file",
        Definition = Definition("read_file", "Reads a source file."),
        Run = (call, _) =>
        {
            var path = call.Input.TryGetValue("path", out var value) ? value.GetString() : "?";
            var text = new StringBuilder();
            for (var i = 1; i <= lines; i++)
            {
                text.Append("def function_").Append(i).Append("(value): return value * ").Append(i).Append("  # ").Append(path).Append(" line ").Append(i).Append('\n');
            }

            return Task.FromResult<BetaToolResultBlockParamContent>(text.ToString());
        },
    };

    /// <summary>A tool with a plain object schema that takes a <c>path</c>.</summary>
    public static BetaToolUnion Definition(string name, string description) =>
        JsonSerializer.Deserialize<BetaToolUnion>(
            $$$"""{"name":"{{{name}}}","description":"{{{description}}}","input_schema":{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}}""")!;

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Emulator.DisposeAsync();
        Store.Dispose();
        _temp.Dispose();
    }
}

/// <summary>Makes meters of its own, so a test listens to its session's measurements and no other test's.</summary>
internal sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
        _meters.Add(meter);
        return meter;
    }

    public void Dispose()
    {
        foreach (var meter in _meters)
        {
            meter.Dispose();
        }
    }
}

/// <summary>Collects the measurements of the meters one factory made.</summary>
internal sealed class MeasurementLog : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = [];

    public MeasurementLog(TestMeterFactory factory)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.Start();
    }

    public double Sum(string instrument) => Values(instrument).Sum();

    /// <summary>The sum of an instrument's measurements that carry the tag with the value.</summary>
    public double Sum(string instrument, string tag, object value)
    {
        lock (_measurements)
        {
            return _measurements.Where(m => m.Instrument == instrument && m.Tags.TryGetValue(tag, out var v) && Equals(v, value)).Sum(m => m.Value);
        }
    }

    public IReadOnlyList<double> Values(string instrument)
    {
        lock (_measurements)
        {
            return [.. _measurements.Where(m => m.Instrument == instrument).Select(m => m.Value)];
        }
    }

    public IReadOnlyList<Dictionary<string, object?>> Tags(string instrument)
    {
        lock (_measurements)
        {
            return [.. _measurements.Where(m => m.Instrument == instrument).Select(m => m.Tags)];
        }
    }

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        lock (_measurements)
        {
            _measurements.Add((instrument.Name, value, copy));
        }
    }
}
