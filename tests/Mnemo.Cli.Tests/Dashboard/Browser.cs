using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using Mnemo.Tests;

namespace Mnemo.Cli.Tests.Dashboard;

/// <summary>Headless Chromium driven by its ChromeDriver, both Debian's (<c>chromium</c>, <c>chromium-driver</c>), installed
/// first when missing, as the PostgreSQL tests install PostgreSQL. One browser for a test class.</summary>
public sealed class Browser : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";
    private const string Driver = "/usr/bin/chromedriver";

    public ChromeDriver Chrome { get; private set; } = null!;

    public IWebDriver Web => Chrome;

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(Chromium) || !File.Exists(Driver))
        {
            await DebianPackages.InstallAsync("Chromium", "chromium", "chromium-driver");
        }

        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(Driver)!, Path.GetFileName(Driver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,2200", "--lang=en-US");
        Chrome = new ChromeDriver(service, options, TimeSpan.FromSeconds(120));
    }

    /// <summary>Opens a page and waits until its script says it has loaded <paramref name="what"/>.</summary>
    public void Open(Uri address, string what)
    {
        Web.Navigate().GoToUrl(address);
        WaitFor(what);
    }

    /// <summary>Waits until the page's script has loaded <paramref name="what"/> (<c>document.body.dataset.loaded</c>) or
    /// shows an error, which fails the test with the page's words.</summary>
    public void WaitFor(string what)
    {
        var wait = new WebDriverWait(Web, TimeSpan.FromSeconds(30));
        wait.Until(driver => (string?)((IJavaScriptExecutor)driver).ExecuteScript("return document.body.dataset.loaded || null") == what
            || !string.IsNullOrEmpty(driver.FindElement(By.Id("status")).Text));
        var status = Text("status");
        if (status.Length > 0 && !status.StartsWith("Restored", StringComparison.Ordinal) && !status.StartsWith("Redacted", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The page says: {status}");
        }
    }

    /// <summary>Clears the page's marker of what it loaded, before an action that loads something again.</summary>
    public void Reset() => ((IJavaScriptExecutor)Web).ExecuteScript("delete document.body.dataset.loaded; document.getElementById('status').textContent = '';");

    public string Text(string id) => Web.FindElement(By.Id(id)).Text;

    /// <summary>An element's text exactly as the page holds it (tabs included), not as rendered.</summary>
    public string Content(string id) => (string)((IJavaScriptExecutor)Web).ExecuteScript($"return document.getElementById('{id}').textContent;")!;

    /// <summary>Saves a screenshot of the page under the test run's output folder, and returns its path.</summary>
    public string Screenshot(string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name + ".png");
        Chrome.GetScreenshot().SaveAsFile(path);
        return path;
    }

    public ValueTask DisposeAsync()
    {
        Chrome?.Quit();
        Chrome?.Dispose();
        return ValueTask.CompletedTask;
    }
}
