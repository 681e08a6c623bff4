using Mnemo.Memory;
using Mnemo.Memory.FileSystem;

namespace Mnemo.Tests.Memory.FileSystem;

/// <summary>Which engine a store gets, as a published <c>mnemo</c> gets it on each system: the Linux one where Linux's
/// calls are (linux-x64, linux-arm64), the portable one on win-x64, osx-arm64 and everywhere else.</summary>
public sealed class FolderEngineSelectionTests
{
    [Theory]
    [InlineData("linux-x64", true, FolderEngine.Linux)]
    [InlineData("linux-arm64", true, FolderEngine.Linux)]
    [InlineData("win-x64", false, FolderEngine.Portable)]
    [InlineData("osx-arm64", false, FolderEngine.Portable)]
    [InlineData("linux-arm (32-bit)", false, FolderEngine.Portable)]
    public void Automatic_PicksTheSystemsBestEngine(string system, bool linuxCalls, FolderEngine expected) =>
        FolderEngines.Choose(FolderEngine.Automatic, FolderNameRules.Automatic, linuxCalls).ShouldBe(expected, system);

    [Fact]
    public void Automatic_WithWindowsOrMacOSNames_IsPortableEvenOnLinux()
    {
        FolderEngines.Choose(FolderEngine.Automatic, FolderNameRules.Windows, linuxCallsAvailable: true).ShouldBe(FolderEngine.Portable);
        FolderEngines.Choose(FolderEngine.Automatic, FolderNameRules.MacOS, linuxCallsAvailable: true).ShouldBe(FolderEngine.Portable);
        FolderEngines.Choose(FolderEngine.Automatic, FolderNameRules.Posix, linuxCallsAvailable: true).ShouldBe(FolderEngine.Linux);
    }

    [Fact]
    public void Forced_IsHonouredWhereItRuns_AndRefusedInOneLineWhereItCannot()
    {
        FolderEngines.Choose(FolderEngine.Portable, FolderNameRules.Automatic, linuxCallsAvailable: true).ShouldBe(FolderEngine.Portable);
        Should.Throw<PlatformNotSupportedException>(() => FolderEngines.Choose(FolderEngine.Linux, FolderNameRules.Automatic, linuxCallsAvailable: false))
            .Message.ShouldBe("The Linux engine of the folder store runs on Linux (x64 or arm64) only; the portable engine runs everywhere.");
        Should.Throw<ArgumentException>(() => FolderEngines.Choose(FolderEngine.Linux, FolderNameRules.Windows, linuxCallsAvailable: true));
    }

    [Theory]
    [InlineData(null, FolderEngine.Automatic)]
    [InlineData("", FolderEngine.Automatic)]
    [InlineData("portable", FolderEngine.Portable)]
    [InlineData(" Linux ", FolderEngine.Linux)]
    public void EnvironmentVariable_NamesTheEngine(string? value, FolderEngine expected) => FolderEngines.FromEnvironment(value).ShouldBe(expected);

    [Fact]
    public void EnvironmentVariable_NamingNoEngine_IsOneLine() =>
        Should.Throw<MemoryStoreException>(() => FolderEngines.FromEnvironment("ntfs")).Message.ShouldBe("MNEMO_FOLDER_ENGINE is \"ntfs\"; it takes linux, portable or automatic.");

    [Fact]
    public void ThisMachine_GetsTheLinuxEngine_UnlessTold()
    {
        using var temp = new TempDirectory();
        using var automatic = new FileSystemMemoryStore(temp.Combine("a"));
        automatic.Engine.ShouldBe(Environment.GetEnvironmentVariable(FolderEngines.EnvironmentVariable) == "portable" ? FolderEngine.Portable : FolderEngine.Linux);
        using var portable = new FileSystemMemoryStore(temp.Combine("b"), new FileSystemMemoryStoreOptions { Engine = FolderEngine.Portable });
        portable.Engine.ShouldBe(FolderEngine.Portable);
    }
}
