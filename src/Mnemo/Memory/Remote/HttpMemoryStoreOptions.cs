namespace Mnemo.Memory.Remote;

/// <summary>Represents the options of an <see cref="HttpMemoryStore"/>.</summary>
public sealed class HttpMemoryStoreOptions
{
    /// <summary>Gets or sets the memory server's address, such as <c>https://memory.example.com/</c>.</summary>
    /// <value>Required.</value>
    public Uri? Endpoint { get; set; }

    /// <summary>Gets or sets the store's name on the server.</summary>
    /// <value>Required.</value>
    public string? Store { get; set; }

    /// <summary>Gets or sets the API key, sent as <c>Authorization: Bearer</c>.</summary>
    /// <value>Required.</value>
    public string? ApiKey { get; set; }

    /// <summary>Gets or sets how long one attempt may take before it is given up and tried again.</summary>
    /// <value>10 seconds by default.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets how many times an operation is tried again after a timeout, a lost connection or a busy server.</summary>
    /// <value>4 by default. Writes carry an idempotency key, so a write tried again is never applied twice.</value>
    public int MaxRetries { get; set; } = 4;

    /// <summary>Gets or sets the first pause before trying again; each later pause doubles, with up to as much again at random.</summary>
    /// <value>100 milliseconds by default. A server's <c>Retry-After</c> takes precedence when it is longer.</value>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Gets or sets the HTTP handler to send requests with (a proxy, a certificate policy).</summary>
    /// <value><see langword="null"/> by default: a pooled handler of the store's own, disposed with it.</value>
    public HttpMessageHandler? Handler { get; set; }

    internal HttpMemoryStoreOptions Validated()
    {
        ArgumentNullException.ThrowIfNull(Endpoint, nameof(Endpoint));
        if (!Endpoint.IsAbsoluteUri || Endpoint.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException("The endpoint must be an absolute http or https address.", nameof(Endpoint));
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(Store, nameof(Store));
        ArgumentException.ThrowIfNullOrWhiteSpace(ApiKey, nameof(ApiKey));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero, nameof(Timeout));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRetries, nameof(MaxRetries));
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryDelay, TimeSpan.Zero, nameof(RetryDelay));
        return this;
    }
}
