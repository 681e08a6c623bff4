using System.Collections.Concurrent;
using Mnemo.Memory;

namespace Mnemo.Hosting;

/// <summary>A memory kept one store per <see cref="MemoryScope"/>, registered with <c>AddMnemoMemory().WithScopes()</c>:
/// each user's, user's project's or agent's memory is a store of its own, so nothing one scope's tool does can reach
/// another's.</summary>
/// <example><code>
/// var tool = scopes.Tool(MemoryScope.Create(user: "alice", project: "billing"));
/// </code></example>
public interface IMemoryScopes
{
    /// <summary>Gets a scope's store, opened on first use and kept.</summary>
    /// <param name="scope">The scope.</param>
    /// <returns>The store.</returns>
    IMemoryStore Store(MemoryScope scope);

    /// <summary>Gets a scope's memory tool, with the memory's stages (actor, audit, screening), made on first use and kept.</summary>
    /// <param name="scope">The scope.</param>
    /// <returns>The tool.</returns>
    IMemoryTool Tool(MemoryScope scope);

    /// <summary>Gets a scope's memory tool as an <see cref="Microsoft.Extensions.AI.AIFunction"/>, for a chat client's tool list.</summary>
    /// <param name="scope">The scope.</param>
    /// <returns>The function.</returns>
    MemoryToolFunction Function(MemoryScope scope);
}

/// <summary>The scopes' stores and tools, opened as they are asked for and closed with the application's services.</summary>
internal sealed class MemoryScopes(Func<string, IMemoryStore> open, Func<IMemoryStore, IMemoryTool> tool) : IMemoryScopes, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<(IMemoryStore Store, IMemoryTool Tool, MemoryToolFunction Function)>> _opened = new(StringComparer.Ordinal);

    public IMemoryStore Store(MemoryScope scope) => Open(scope).Store;

    public IMemoryTool Tool(MemoryScope scope) => Open(scope).Tool;

    public MemoryToolFunction Function(MemoryScope scope) => Open(scope).Function;

    public async ValueTask DisposeAsync()
    {
        foreach (var entry in _opened.Values.Where(entry => entry.IsValueCreated))
        {
            switch (entry.Value.Store)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
    }

    private (IMemoryStore Store, IMemoryTool Tool, MemoryToolFunction Function) Open(MemoryScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var entry = _opened.GetOrAdd(scope.Name, name => new Lazy<(IMemoryStore, IMemoryTool, MemoryToolFunction)>(() =>
        {
            var store = open(name);
            var made = tool(store);
            return (store, made, new MemoryToolFunction(made));
        }));
        try
        {
            return entry.Value;
        }
        catch
        {
            // A scope whose store failed to open (a full disk, a database away) is tried again on the next call.
            _opened.TryRemove(new KeyValuePair<string, Lazy<(IMemoryStore, IMemoryTool, MemoryToolFunction)>>(scope.Name, entry));
            throw;
        }
    }
}
