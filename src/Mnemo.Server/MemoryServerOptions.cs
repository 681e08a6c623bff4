using System.Diagnostics.Metrics;
using System.Net;
using Mnemo.Memory;

namespace Mnemo.Server;

/// <summary>Represents the options of a <see cref="MemoryServer"/>.</summary>
public sealed class MemoryServerOptions
{
    /// <summary>Gets or sets the address to listen on.</summary>
    /// <value><see cref="IPAddress.Loopback"/> by default; put a TLS proxy in front before listening anywhere else.</value>
    public IPAddress Address { get; set; } = IPAddress.Loopback;

    /// <summary>Gets or sets the port to listen on; 0 picks a free one.</summary>
    /// <value>8420 by default.</value>
    public int Port { get; set; } = 8420;

    /// <summary>Gets or sets how a store is opened by name; the server opens each once and keeps it.</summary>
    /// <value>Required. The name is already checked: 1 to 63 lowercase letters, digits, '.', '_' or '-'.</value>
    public Func<string, IVersionedMemoryStore>? OpenStore { get; set; }

    /// <summary>Gets or sets the write checks for a store, by name: the scanner, the policy per finding kind, the quarantine.</summary>
    /// <value><see langword="null"/> by default: <see cref="Mnemo.Memory.Safety.MemorySafety.Default"/> for every store (secrets masked,
    /// sure injections rejected, the rest flagged in the log). A function returning <see langword="null"/> for a store turns the checks off there.</value>
    public Func<string, Mnemo.Memory.Safety.MemorySafety?>? SafetyFor { get; set; }

    /// <summary>Gets or sets how the stores that exist are listed, for keys that may use every store.</summary>
    /// <value><see langword="null"/> by default: such keys see the stores opened since the server started.</value>
    public Func<CancellationToken, Task<IReadOnlyList<string>>>? ListStores { get; set; }

    /// <summary>Gets or sets where each store's session records are kept, by store name: agents append their sessions'
    /// lines at <c>/v1/stores/{store}/sessions/{session}</c> with the store's key, and the dashboard reads them.</summary>
    /// <value><see langword="null"/> by default: the server keeps no records and those endpoints answer 404.
    /// <c>mnemo serve</c> keeps them in a <see cref="Mnemo.Sessions.FolderSessionRecords"/> per store beside its stores.</value>
    public Func<string, Mnemo.Sessions.ISessionRecordStore>? SessionRecords { get; set; }

    /// <summary>Gets or sets the check behind <c>/ready</c>: can the backend be used now?</summary>
    /// <value><see langword="null"/> by default: ready whenever the server runs.</value>
    public Func<CancellationToken, Task<bool>>? ReadinessCheck { get; set; }

    /// <summary>Gets or sets the API keys.</summary>
    /// <value>Required.</value>
    public MemoryApiKeys? Keys { get; set; }

    /// <summary>Gets the authentication schemes whose principals the API takes.</summary>
    /// <value><see cref="MnemoApiKeyAuthentication.SchemeName"/> alone by default. An application that signs its users in
    /// another way (a JWT bearer scheme, say) adds its scheme here; its principals then need a
    /// <see cref="MnemoApiKeyAuthentication.StoreClaim"/> claim per store (and the role <see cref="MnemoApiKeyAuthentication.AdminRole"/>
    /// for the admin endpoints), or the application's own handler for <see cref="MemoryStoreRequirement"/>.</value>
    public IList<string> AuthenticationSchemes { get; } = [MnemoApiKeyAuthentication.SchemeName];

    /// <summary>Gets or sets the largest request body accepted, in bytes.</summary>
    /// <value>1 MiB by default: a command carries at most a file's content, which quotas keep to 100 KiB by default.</value>
    public long MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Gets or sets how many requests a second one key may make, on average.</summary>
    /// <value>200 by default.</value>
    public int RequestsPerSecond { get; set; } = 200;

    /// <summary>Gets or sets how many requests one key may make at once beyond the average.</summary>
    /// <value>400 by default.</value>
    public int Burst { get; set; } = 400;

    /// <summary>Gets or sets a value indicating whether each request is logged as one JSON line on standard output.</summary>
    /// <value><see langword="false"/> by default.</value>
    public bool JsonLogs { get; set; }

    /// <summary>Gets or sets one more place the server's logs go, besides standard error (warnings and errors) and the JSON lines.</summary>
    /// <value><see langword="null"/> by default. The provider gets information and above: a line a request, warnings and errors.</value>
    public Microsoft.Extensions.Logging.ILoggerProvider? Logs { get; set; }

    /// <summary>Gets or sets the factory of the server's meter, <c>Mnemo.Server</c>.</summary>
    /// <value><see langword="null"/> by default: a meter of its own.</value>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>Gets or sets what the host adds to the server's services before it starts, such as OpenTelemetry's
    /// exporters (<c>mnemo serve --otlp</c>); nothing when <see langword="null"/>.</summary>
    public Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? ConfigureServices { get; set; }

    /// <summary>Gets or sets what the host maps beside the API and the dashboard, such as a Prometheus scraping endpoint
    /// (<c>mnemo serve --metrics</c>); nothing when <see langword="null"/>.</summary>
    public Action<Microsoft.AspNetCore.Routing.IEndpointRouteBuilder>? ConfigureEndpoints { get; set; }

    internal MemoryServerOptions Validated()
    {
        ArgumentNullException.ThrowIfNull(OpenStore, nameof(OpenStore));
        ArgumentNullException.ThrowIfNull(Keys, nameof(Keys));
        ArgumentNullException.ThrowIfNull(Address, nameof(Address));
        ArgumentOutOfRangeException.ThrowIfNegative(Port, nameof(Port));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBodyBytes, 1024, nameof(MaxBodyBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(RequestsPerSecond, 1, nameof(RequestsPerSecond));
        ArgumentOutOfRangeException.ThrowIfLessThan(Burst, 1, nameof(Burst));
        return this;
    }
}
