using Mnemo.Memory;

namespace Mnemo.Tests;

/// <summary>What the core package may depend on: the BCL, Microsoft.Extensions.AI's abstractions and the libraries it
/// delegates retries and diffs to; never a database driver, a web framework or the Anthropic SDK.</summary>
public sealed class LayeringTests
{
    [Fact]
    public void Core_ReferencesNoDriverWebFrameworkOrSdk()
    {
        var references = typeof(MemoryTool).Assembly.GetReferencedAssemblies().Select(name => name.Name!).ToList();

        references.ShouldNotContain(name => name.StartsWith("Npgsql", StringComparison.Ordinal));
        references.ShouldNotContain(name => name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        references.ShouldNotContain(name => name.StartsWith("Anthropic", StringComparison.Ordinal));
        references.ShouldNotContain(name => name.StartsWith("ModelContextProtocol", StringComparison.Ordinal));
    }
}
