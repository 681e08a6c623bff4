using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Mnemo.Tests;

namespace Mnemo.Cli.Tests;

/// <summary><c>mnemo serve</c> and <c>mnemo serve keys</c> as real processes.</summary>
public sealed class ServeCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _temp.Dispose();

    /// <summary>The address in the line <c>mnemo serve</c> starts with: <c>mnemo: serving memory at URL (…)</c>.</summary>
    internal static string AddressIn(string banner)
    {
        const string Prefix = "mnemo: serving memory at ";
        banner.ShouldStartWith(Prefix);
        return banner[Prefix.Length..banner.IndexOf(' ', Prefix.Length)];
    }

    [Fact]
    public async Task MemoryExec_WithServer_RunsCommandsOnTheServersStore_WithTheKeyFromTheEnvironment()
    {
        var root = _temp.Combine("stores");
        var key = (await MnemoProcess.RunAsync(Ct, "serve", "keys", "add", "--dir", root, "--store", "team", "--name", "ci")).Output.Trim();
        using var server = MnemoProcess.Start("serve", "--dir", root, "--port", "0");
        try
        {
            var banner = (await server.StandardError.ReadLineAsync(Ct))!;
            var address = ServeCommandTests.AddressIn(banner);

            using var exec = MnemoProcess.Start(new Dictionary<string, string> { ["MNEMO_KEY"] = key }, null, "memory", "exec", "--server", address, "--store", "team");
            await exec.StandardInput.WriteAsync("""
                {"command":"create","path":"/memories/a.md","file_text":"from afar\n"}
                {"command":"str_replace","path":"/memories/a.md","old_str":"afar","new_str":"another machine"}
                {"command":"view","path":"/memories/missing.md"}

                """.ReplaceLineEndings("\n"));
            exec.StandardInput.Close();
            var output = await exec.StandardOutput.ReadToEndAsync(Ct);
            await exec.WaitForExitAsync(Ct);
            exec.ExitCode.ShouldBe(0, await exec.StandardError.ReadToEndAsync(Ct));
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("is_error").GetBoolean())
                .ShouldBe([false, false, true]);
            File.ReadAllText(Path.Combine(root, "team", "a.md")).ShouldBe("from another machine\n");

            var noKey = await MnemoProcess.RunAsync(Ct, "memory", "exec", "--server", address, "--store", "team");
            (noKey.ExitCode, noKey.Error.Trim()).ShouldBe((2, "mnemo: --server needs the API key in MNEMO_KEY (`mnemo serve keys add` makes one)."));
            var both = await MnemoProcess.RunAsync(Ct, "memory", "exec", "--server", address, "--dir", root);
            both.ExitCode.ShouldBe(2);
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync(Ct);
        }
    }

    [Fact]
    public async Task Serve_WithAKeyMadeByKeysAdd_AnswersCommands_UntilTheKeyIsRevoked()
    {
        var root = _temp.Combine("stores");
        var add = await MnemoProcess.RunAsync(Ct, "serve", "keys", "add", "--dir", root, "--store", "team", "--name", "ci");
        add.ExitCode.ShouldBe(0, add.Error);
        var key = add.Output.Trim();
        key.ShouldStartWith("mnemo_");
        var list = await MnemoProcess.RunAsync(Ct, "serve", "keys", "list", "--dir", root);
        list.Output.ShouldContain("team");
        list.Output.ShouldNotContain(key);

        using var server = MnemoProcess.Start("serve", "--dir", root, "--port", "0");
        try
        {
            var banner = await server.StandardError.ReadLineAsync(Ct);
            banner.ShouldNotBeNull();
            banner.ShouldStartWith("mnemo: serving memory at http://127.0.0.1:");
            var address = new Uri(ServeCommandTests.AddressIn(banner));
            banner.ShouldContain($"; the dashboard is at {address}dashboard; Ctrl+C stops.");

            using var http = new HttpClient { BaseAddress = address };
            var page = await http.GetAsync("/dashboard", Ct);
            (page.StatusCode, page.Content.Headers.ContentType?.MediaType).ShouldBe((System.Net.HttpStatusCode.OK, "text/html"), "/dashboard leads to the page");
            async Task<(int Status, string Body)> Send(object command)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/stores/team/memory")
                {
                    Content = new StringContent(JsonSerializer.Serialize(command), Encoding.UTF8, "application/json"),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                using var response = await http.SendAsync(request, Ct);
                return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
            }

            var created = await Send(new { command = "create", path = "/memories/a.md", file_text = "over http\n" });
            created.ShouldBe((200, "{\"content\":\"File created successfully at: /memories/a.md\",\"is_error\":false}"));
            File.ReadAllText(Path.Combine(root, "team", "a.md")).ShouldBe("over http\n");

            var id = list.Output.Split(' ', 2)[0];
            (await MnemoProcess.RunAsync(Ct, "serve", "keys", "revoke", id, "--dir", root)).ExitCode.ShouldBe(0);
            (await Send(new { command = "view", path = "/memories" })).Status.ShouldBe(401);
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync(Ct);
        }

        (await MnemoProcess.RunAsync(Ct, "serve", "keys", "add", "--dir", root, "--store", "Bad/Name")).ExitCode.ShouldBe(2);
        (await MnemoProcess.RunAsync(Ct, "serve", "--backend", "postgres")).ExitCode.ShouldBe(2);
    }
}
