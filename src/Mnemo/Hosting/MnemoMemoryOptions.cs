using Microsoft.Extensions.Options;
using Mnemo.Memory;

namespace Mnemo.Hosting;

/// <summary>How a memory registered with <c>AddMnemoMemory</c> is made: its store, and the stages around its tool.
/// Bound from the configuration section <c>Mnemo</c> (or <c>Mnemo:Stores:NAME</c> for a keyed one) when one is given.</summary>
public sealed class MnemoMemoryOptions
{
    /// <summary>The configuration section a default memory is bound from.</summary>
    public const string SectionName = "Mnemo";

    /// <summary>Gets or sets the kind of store: <c>folder</c> (the default), <c>postgresql</c>, <c>http</c> or <c>anthropic</c>
    /// (a managed memory store, with <c>WithAnthropicStore</c>).</summary>
    public string Store { get; set; } = "folder";

    /// <summary>Gets or sets the folder that <c>/memories</c> maps to, for a <c>folder</c> store.</summary>
    public string? Path { get; set; }

    /// <summary>Gets or sets the connection string of a <c>postgresql</c> store, when the application does not give its
    /// own <c>NpgsqlDataSource</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Gets or sets the store's name in a database or on a memory server that holds many; <c>default</c> when unset.</summary>
    public string? StoreName { get; set; }

    /// <summary>Gets or sets the memory server's address, for an <c>http</c> store.</summary>
    public Uri? Url { get; set; }

    /// <summary>Gets or sets the API key for the memory server, for an <c>http</c> store.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Gets or sets who the store's history and the audit log name for the model's writes; unnamed when unset.</summary>
    public string? Actor { get; set; }

    /// <summary>Gets or sets a value indicating whether what is written is screened (secrets masked, prompt injections
    /// refused: <see cref="Memory.Safety.MemorySafety.Default"/>). <see langword="true"/> by default.</summary>
    public bool Screening { get; set; } = true;

    /// <summary>Gets or sets the file of a JSON-lines audit log of every command; none when unset.</summary>
    public string? AuditLog { get; set; }

    /// <summary>Gets or sets a value indicating whether the memory is one store per <see cref="MemoryScope"/> (a user's,
    /// a user's project's, an agent's), opened through <see cref="IMemoryScopes"/>: then <see cref="Path"/> is the folder
    /// that holds every scope's folder, and a database's or server's store is named after the scope.</summary>
    public bool Scopes { get; set; }

    /// <summary>Gets or sets a store of the application's own making, which takes the place of <see cref="Store"/>.</summary>
    internal Func<IServiceProvider, IMemoryStore>? StoreFactory { get; set; }

    /// <summary>Gets or sets how a store of the kind chosen is opened under a name, for a memory per scope.</summary>
    internal Func<IServiceProvider, string, IMemoryStore>? NamedStoreFactory { get; set; }

    /// <summary>Gets or sets the screening policy, when not the default.</summary>
    internal Memory.Safety.MemorySafety? Safety { get; set; }
}

/// <summary>Checks a memory's options when the application starts, each message naming the configuration key.</summary>
internal sealed class MnemoMemoryOptionsValidator(string section) : IValidateOptions<MnemoMemoryOptions>
{
    public ValidateOptionsResult Validate(string? name, MnemoMemoryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var prefix = string.IsNullOrEmpty(name) ? section : $"{section}:Stores:{name}";
        if (options.Scopes && options.StoreFactory is not null && options.NamedStoreFactory is null)
        {
            return ValidateOptionsResult.Fail($"{prefix}:Scopes needs a store that opens by name (a folder, postgresql or http store), not one of the application's own making.");
        }

        if (options.StoreFactory is not null)
        {
            return ValidateOptionsResult.Success;
        }

        var failure = options.Store switch
        {
            "folder" when string.IsNullOrWhiteSpace(options.Path) => options.Scopes
                ? $"{prefix}:Path is required for a folder store: the folder that holds every scope's folder."
                : $"{prefix}:Path is required for a folder store: the folder /memories maps to.",
            "postgresql" =>
                $"{prefix}:Store is postgresql: call .WithPostgreSqlStore() (package Mnemo.PostgreSql) on AddMnemoMemory, which reads {prefix}:ConnectionString or takes your NpgsqlDataSource.",
            "http" when options.Url is null || !options.Url.IsAbsoluteUri =>
                $"{prefix}:Url is required for an http store: the memory server's absolute address, such as https://memory.example.com/.",
            "http" when string.IsNullOrWhiteSpace(options.ApiKey) =>
                $"{prefix}:ApiKey is required for an http store.",
            "anthropic" =>
                $"{prefix}:Store is anthropic: call .WithAnthropicStore(\"memstore_…\") (package Mnemo.Anthropic) on AddMnemoMemory.",
            "folder" or "http" => null,
            _ => $"{prefix}:Store is '{options.Store}'; it takes folder, postgresql, http or anthropic.",
        };
        return failure is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failure);
    }
}
