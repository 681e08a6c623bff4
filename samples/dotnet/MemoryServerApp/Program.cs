// An ASP.NET Core application that hosts Mnemo's memory server beside its own endpoints: the API under /memory/v1, the
// memory's API keys as the application's authentication, its readiness among the application's health checks.
//
//   mnemo serve keys add --dir STORES --store team        # prints a key
//   dotnet run --project samples/dotnet/MemoryServerApp -- STORES http://127.0.0.1:5080
//
// Agents reach it with an HttpMemoryStore whose endpoint is http://127.0.0.1:5080/memory/ (or `mnemo memory exec
// --server http://127.0.0.1:5080/memory/ --store team` with the key in MNEMO_KEY).
using Mnemo.Memory.FileSystem;
using Mnemo.Server;

var stores = args.Length > 0 ? args[0] : "stores";
var url = args.Length > 1 ? args[1] : "http://127.0.0.1:5080";

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.UseUrls(url);
builder.Services.AddMnemoMemoryServer(options =>
{
    options.Keys = new MemoryApiKeys(Path.Combine(stores, ".keys.json"));
    options.OpenStore = name => new FileSystemMemoryStore(Path.Combine(stores, name));
});
// The memory's keys are the application's own authentication too (AddMnemoMemoryServer adds the scheme; this makes it the default).
builder.Services.AddAuthentication(MnemoApiKeyAuthentication.SchemeName).AddMnemoApiKey();

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter(); // the memory API's limit per key
app.MapGet("/", () => "An application of its own, with a memory for its agents at /memory/v1.");
app.MapGet("/me", (System.Security.Claims.ClaimsPrincipal user) => $"key {user.Identity!.Name}").RequireAuthorization();
app.MapMnemoMemory("/memory/v1");
app.MapHealthChecks("/healthz");
await app.StartAsync();
var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
    .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;
Console.WriteLine($"listening on {string.Join(" ", addresses)}");
await app.WaitForShutdownAsync();
