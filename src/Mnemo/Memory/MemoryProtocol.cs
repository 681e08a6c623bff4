namespace Mnemo.Memory;

/// <summary>The memory protocol: what an agent with a memory directory is told to do with it.</summary>
public static class MemoryProtocol
{
    /// <summary>The protocol's text, for a system prompt or an MCP prompt.</summary>
    public const string Default =
        """
        You have a memory directory, /memories, that outlives this conversation; the memory tool reads and writes it.
        Memory protocol:
        1. Before anything else, view /memories: earlier sessions may have left what they learned and work in progress.
        2. As you work, record progress, decisions and findings a later session would need. Keep the files short, current and organised.
        3. Assume your context can be cleared or reset at any moment: whatever is not in /memories may be lost.
        """;
}
