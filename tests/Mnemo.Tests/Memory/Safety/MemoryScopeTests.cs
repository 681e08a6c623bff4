using Mnemo.Memory;

namespace Mnemo.Tests.Memory.Safety;

/// <summary>Scopes: one store per user, project and agent, and no name that reaches another's.</summary>
public sealed class MemoryScopeTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("..", null, null)]
    [InlineData("../bob", null, null)]
    [InlineData("alice/../bob", null, null)]
    [InlineData("alice", "..", null)]
    [InlineData("alice", "x/..", null)]
    [InlineData("alice", "x\\y", null)]
    [InlineData("alice.p-billing", null, null)]
    [InlineData("Alice", null, null)]
    [InlineData("", null, null)]
    [InlineData("alice", "", null)]
    [InlineData("-alice", null, null)]
    [InlineData("alice", null, "reviewer")]
    [InlineData("alice", "billing", "rev iewer")]
    [InlineData("alíce", null, null)]
    [InlineData("a-very-long-user-name-indeed", null, null)]
    public void HostileOrInvalidNames_AreRefused(string user, string? project, string? agent)
    {
        MemoryScope.TryCreate(user, project, agent, out var scope, out var error).ShouldBeFalse();
        scope.ShouldBeNull();
        error.ShouldNotBeNullOrEmpty();
        Should.Throw<ArgumentException>(() => MemoryScope.Create(user, project, agent));
    }

    [Fact]
    public void DifferentScopes_NeverShareAName_AndEachNameReadsBack()
    {
        MemoryScope[] scopes =
        [
            MemoryScope.Create("alice"),
            MemoryScope.Create("alice", "billing"),
            MemoryScope.Create("alice", "billing", "reviewer"),
            MemoryScope.Create("alice-p", "billing"),
            MemoryScope.Create("alice", "p-billing"),
            MemoryScope.Create("alice", "billing-a", "reviewer"),
            MemoryScope.Create("bob", "billing", "reviewer"),
        ];
        scopes.Select(scope => scope.Name).Distinct().Count().ShouldBe(scopes.Length);
        foreach (var scope in scopes)
        {
            MemoryScope.TryParse(scope.Name, out var back).ShouldBeTrue(scope.Name);
            back.ShouldBe(scope);
            scope.Name.Length.ShouldBeLessThanOrEqualTo(62);
            // The memory server's rule for store names, so a scope is a store there and in PostgreSQL as it is a folder here.
            scope.Name.ShouldMatch("^[a-z0-9][a-z0-9._-]{0,62}$");
        }

        MemoryScope.TryParse("u-alice.p-billing/../u-bob", out _).ShouldBeFalse();
        MemoryScope.TryParse("u-alice..p-x", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task AScopesStore_CannotReachAnotherScopesFiles_ByAnyPath()
    {
        var root = _temp.Combine("scopes");
        using var alice = MemoryScope.Create("alice", "billing").OpenFolder(root);
        using var project = MemoryScope.Create("alice").OpenFolder(root);
        using var bob = MemoryScope.Create("bob", "billing").OpenFolder(root);
        await new MemoryTool(alice).ExecuteAsync(new CreateMemoryCommand("/memories/secret-plan.md", "alice's plan\n"), Ct);

        foreach (var (store, who) in new[] { (bob, "bob"), (project, "alice's own user scope") })
        {
            var tool = new MemoryTool(store);
            foreach (var path in new[] { "/memories/../u-alice.p-billing/secret-plan.md", "/memories/../../scopes/u-alice.p-billing/secret-plan.md", "/memories/u-alice.p-billing/secret-plan.md", "/memories/secret-plan.md" })
            {
                var result = await tool.ExecuteAsync(new ViewMemoryCommand(path), Ct);
                result.IsError.ShouldBeTrue($"{who}: {path}");
                result.Content.ShouldNotContain("alice's plan");
            }

            (await tool.ExecuteAsync(new ViewMemoryCommand("/memories"), Ct)).Content.ShouldNotContain("secret-plan");
            (await tool.ExecuteAsync(new RenameMemoryCommand("/memories/../u-alice.p-billing", "/memories/stolen"), Ct)).IsError.ShouldBeTrue();
        }

        File.ReadAllText(Path.Combine(root, "u-alice.p-billing", "secret-plan.md")).ShouldBe("alice's plan\n");
    }
}
