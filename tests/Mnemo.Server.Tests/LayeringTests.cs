namespace Mnemo.Server.Tests;

/// <summary>The memory server is a production package: deploying it ships no Messages API emulator.</summary>
public sealed class LayeringTests
{
    [Fact]
    public void MemoryServer_DoesNotReferenceTheEmulator()
    {
        var references = typeof(MemoryServer).Assembly.GetReferencedAssemblies().Select(name => name.Name).ToList();

        references.ShouldNotContain("Mnemo.Emulator");
        references.ShouldNotContain("YamlDotNet");
        references.ShouldNotContain(name => name!.StartsWith("Anthropic", StringComparison.Ordinal));
    }
}
