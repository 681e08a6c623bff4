using Mnemo.Emulator;

namespace Mnemo.Emulator.Tests;

/// <summary>The emulator is a development and test tool: testing an agent with it pulls in no memory server.</summary>
public sealed class LayeringTests
{
    [Fact]
    public void Emulator_DoesNotReferenceTheMemoryServer()
    {
        var references = typeof(MessagesEmulator).Assembly.GetReferencedAssemblies().Select(name => name.Name).ToList();

        references.ShouldNotContain("Mnemo.Server");
        references.ShouldNotContain(name => name!.StartsWith("Npgsql", StringComparison.Ordinal));
    }
}
