using Microsoft.Extensions.Logging;

namespace Mnemo.Mcp;

/// <summary>Represents the options of a <see cref="MemoryMcpServer"/>.</summary>
public sealed class MemoryMcpServerOptions
{
    /// <summary>Gets or sets who the store's history and audit log name for the client's writes.</summary>
    /// <value><c>mcp</c> by default; the client's own name, once it is known, follows after a slash.</value>
    public string Actor { get; set; } = "mcp";

    /// <summary>Gets or sets how often the store is looked at for changes made elsewhere (another agent, another process).</summary>
    /// <value>
    /// 2 seconds by default; <see langword="null"/> looks at nothing but this server's own writes. Each look lists the
    /// store and reads the files a client subscribed to.
    /// </value>
    public TimeSpan? PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets or sets the checks on what the client writes: the scanner, the policy, the quarantine.</summary>
    /// <value><see cref="Mnemo.Memory.Safety.MemorySafety.Default"/>; <see langword="null"/> writes whatever the client sends.</value>
    public Mnemo.Memory.Safety.MemorySafety? Safety { get; set; } = Mnemo.Memory.Safety.MemorySafety.Default;

    /// <summary>Gets or sets how long, once the client's input has ended, the server waits for the answers still being worked on.</summary>
    /// <value>30 seconds by default; past it the session ends and what is still running is cancelled.</value>
    public TimeSpan DrainLimit { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets where the SDK and the server log; never standard output, which belongs to the protocol.</summary>
    /// <value><see langword="null"/> by default: no logs.</value>
    public ILoggerFactory? LoggerFactory { get; set; }
}
