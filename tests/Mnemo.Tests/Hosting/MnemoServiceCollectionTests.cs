using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mnemo.Context;
using Mnemo.Hosting;
using Mnemo.Memory;

namespace Mnemo.Tests.Hosting;

/// <summary>Mnemo in a real service container: memories from configuration or code, keyed ones beside the default, and
/// options checked at start with messages that name the configuration key.</summary>
public sealed class MnemoServiceCollectionTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _temp.Dispose();

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    /// <summary>What the application's start would say: every option registered for checking at start, checked.</summary>
    private static async Task<string?> StartFailure(ServiceProvider provider)
    {
        try
        {
            await provider.GetRequiredService<IAsyncStartupValidator>().ValidateAsync(Ct);
            return null;
        }
        catch (OptionsValidationException exception)
        {
            return exception.Message;
        }
    }

    [Fact]
    public async Task AMemoryFromConfiguration_WritesThroughItsStages_UnderItsActor()
    {
        var services = new ServiceCollection();
        services.AddMnemoMemory(Configuration(("Mnemo:Path", _temp.Combine("memories")), ("Mnemo:Actor", "billing-agent")));
        await using var provider = services.BuildServiceProvider();

        (await StartFailure(provider)).ShouldBeNull();
        var tool = provider.GetRequiredService<IMemoryTool>();
        (await tool.ExecuteAsync("""{"command":"create","path":"/memories/a.md","file_text":"token ghp_0123456789abcdefghijklmnopqrstuvwxyzAB\n"}""", Ct)).IsError.ShouldBeFalse();

        File.ReadAllText(_temp.Combine("memories", "a.md")).ShouldNotContain("ghp_0123456789", Case.Sensitive, "screening is on by default");
        var history = await new MemoryAdmin(provider.GetRequiredService<IMemoryStore>()).HistoryAsync(cancellationToken: Ct);
        history.Single().Actor.ShouldBe("billing-agent");
        provider.GetRequiredService<MemoryToolFunction>().Tool.ShouldBeSameAs(tool);
    }

    [Fact]
    public async Task KeyedMemories_StandBesideTheDefault_EachWithItsOwnStore()
    {
        var configuration = Configuration(("Mnemo:Path", _temp.Combine("agent")), ("Mnemo:Stores:team:Path", _temp.Combine("team")));
        var services = new ServiceCollection();
        services.AddMnemoMemory(configuration);
        services.AddKeyedMnemoMemory("team", configuration).WithActor("team-bot");
        await using var provider = services.BuildServiceProvider();

        (await StartFailure(provider)).ShouldBeNull();
        await provider.GetRequiredKeyedService<IMemoryTool>("team").ExecuteAsync("""{"command":"create","path":"/memories/t.md","file_text":"x\n"}""", Ct);
        await provider.GetRequiredService<IMemoryTool>().ExecuteAsync("""{"command":"create","path":"/memories/a.md","file_text":"y\n"}""", Ct);

        File.Exists(_temp.Combine("team", "t.md")).ShouldBeTrue();
        File.Exists(_temp.Combine("agent", "a.md")).ShouldBeTrue();
        File.Exists(_temp.Combine("agent", "t.md")).ShouldBeFalse();
        provider.GetRequiredKeyedService<IMemoryStore>("team").ShouldNotBeSameAs(provider.GetRequiredService<IMemoryStore>());
    }

    [Fact]
    public async Task AMemoryPerScope_GivesEachScopeItsOwnStore_AndNothingSeesThemAll()
    {
        var services = new ServiceCollection();
        services.AddMnemoMemory(Configuration(("Mnemo:Path", _temp.Combine("scopes")), ("Mnemo:Scopes", "true"))).WithActor("assistant");
        services.AddKeyedMnemoMemory("team").WithFileSystemStore(_temp.Combine("teams")).WithScopes();
        await using var provider = services.BuildServiceProvider();
        (await StartFailure(provider)).ShouldBeNull();
        var scopes = provider.GetRequiredService<IMemoryScopes>();
        var alice = MemoryScope.Create("alice", "billing");
        var bob = MemoryScope.Create("bob", "billing");

        (await scopes.Tool(alice).ExecuteAsync("""{"command":"create","path":"/memories/notes.md","file_text":"alice's\n"}""", Ct)).IsError.ShouldBeFalse();
        (await scopes.Function(bob).InvokeAsync(new AIFunctionArguments { ["command"] = "view", ["path"] = "/memories" }, Ct))!.ToString()!
            .ShouldNotContain("notes.md", Case.Sensitive, "bob's memory is a store of its own");
        (await scopes.Tool(bob).ExecuteAsync("""{"command":"view","path":"/memories/notes.md"}""", Ct)).IsError.ShouldBeTrue();
        (await scopes.Tool(bob).ExecuteAsync("""{"command":"view","path":"/memories/../u-alice.p-billing/notes.md"}""", Ct)).IsError.ShouldBeTrue();

        File.ReadAllText(_temp.Combine("scopes", "u-alice.p-billing", "notes.md")).ShouldBe("alice's\n");
        scopes.Tool(alice).ShouldBeSameAs(scopes.Tool(alice), "a scope's tool is made once");
        (await new MemoryAdmin(scopes.Store(alice)).HistoryAsync(cancellationToken: Ct)).Single().Actor.ShouldBe("assistant");
        Should.Throw<InvalidOperationException>(() => provider.GetRequiredService<IMemoryTool>()).Message
            .ShouldBe("This memory is kept per scope (WithScopes): open a scope's store or tool through IMemoryScopes.");

        await provider.GetRequiredKeyedService<IMemoryScopes>("team").Tool(MemoryScope.Create("ops")).ExecuteAsync(
            """{"command":"create","path":"/memories/runbook.md","file_text":"x\n"}""", Ct);
        File.Exists(_temp.Combine("teams", "u-ops", "runbook.md")).ShouldBeTrue();
    }

    [Fact]
    public async Task AStoreOfTheApplicationsOwn_CannotBeKeptPerScope_AndStartSaysSo()
    {
        var services = new ServiceCollection();
        services.AddKeyedMnemoMemory("own").WithStore(_ => throw new InvalidOperationException("not opened")).WithScopes();
        await using var provider = services.BuildServiceProvider();

        (await StartFailure(provider)).ShouldBe("Mnemo:Stores:own:Scopes needs a store that opens by name (a folder, postgresql or http store), not one of the application's own making.");
    }

    [Theory]
    [InlineData("Mnemo:Store=folder;Mnemo:Scopes=true", "Mnemo:Path is required for a folder store: the folder that holds every scope's folder.")]
    [InlineData("Mnemo:Store=folder", "Mnemo:Path is required for a folder store: the folder /memories maps to.")]
    [InlineData("Mnemo:Store=http", "Mnemo:Url is required for an http store: the memory server's absolute address, such as https://memory.example.com/.")]
    [InlineData("Mnemo:Store=http;Mnemo:Url=https://memory.example.com/", "Mnemo:ApiKey is required for an http store.")]
    [InlineData("Mnemo:Store=sqlite;Mnemo:Path=x", "Mnemo:Store is 'sqlite'; it takes folder, postgresql, http or anthropic.")]
    [InlineData("Mnemo:Store=anthropic", "Mnemo:Store is anthropic: call .WithAnthropicStore(\"memstore_…\") (package Mnemo.Anthropic) on AddMnemoMemory.")]
    [InlineData("Mnemo:Store=postgresql", "Mnemo:Store is postgresql: call .WithPostgreSqlStore() (package Mnemo.PostgreSql) on AddMnemoMemory, which reads Mnemo:ConnectionString or takes your NpgsqlDataSource.")]
    [InlineData("Mnemo:Path=x;Mnemo:ContextEditing:Profile=fast", "Mnemo:ContextEditing:Profile: no profile named 'fast'; the profiles are development, heavy-files, research, debugging, code-review.")]
    [InlineData("Mnemo:Path=x;Mnemo:ContextEditing:WarningRatio=2", "Mnemo:ContextEditing:WarningRatio is 2; it must be above 0 and at most 1, or unset for no warning.")]
    [InlineData("Mnemo:Path=x;Mnemo:ContextEditing:Keep=-1", "Mnemo:ContextEditing: context_management.edits.0.keep.value: Input should be greater than or equal to 0")]
    public async Task BadOptions_FailAtStart_NamingTheKey(string settings, string message)
    {
        var configuration = Configuration([.. settings.Split(';').Select(pair => (pair.Split('=')[0], pair.Split('=')[1]))]);
        var services = new ServiceCollection();
        services.AddMnemoMemory(configuration);
        services.AddMnemoContextEditing(configuration);
        await using var provider = services.BuildServiceProvider();

        (await StartFailure(provider)).ShouldBe(message);
    }

    [Fact]
    public async Task ContextEditing_FromAProfileAndOverrides_IsTheConfigurationTheClientUses()
    {
        var services = new ServiceCollection();
        services.AddMnemoContextEditing(Configuration(("Mnemo:ContextEditing:Profile", "code-review"), ("Mnemo:ContextEditing:Trigger", "60000")));
        await using var provider = services.BuildServiceProvider();

        (await StartFailure(provider)).ShouldBeNull();
        var edit = provider.GetRequiredService<ContextManagementConfig>().Edits.OfType<ClearToolUsesEdit>().Single();
        (edit.EffectiveTrigger.Value, edit.EffectiveKeep, edit.ClearAtLeast).ShouldBe((60_000L, 12L, (long?)10_000));
        edit.ExcludeTools.ShouldBe(["memory"]);
    }
}
