using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Playwright;
using Oms.Tests.Fulfilment;
using Oms.Tests.Infrastructure;
using Oms.Tests.Security;
using Orleans.TestingHost;

namespace Oms.Tests.CareConsole;

/// <summary>
/// The console as an agent meets it: the real API on Kestrel over a two-silo cluster, and Debian's chromium
/// driven headless by Playwright. One browser for the collection; each test opens its own context (cookies and all).
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    private WebApplicationFactory<Program> _api = null!;
    private IPlaywright _playwright = null!;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    /// <summary>The bootstrap admin over real HTTP: how a test sets up its world and checks the console's effects.</summary>
    public HttpClient Admin { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public FulfilmentKit Kit { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await TestClusters.StartAsync(extra: new Dictionary<string, string?> { ["Oms:Fulfilment:WatchPeriod"] = "00:00:02" });
        _api = ApiFixture.AttachedTo(Cluster).WithWebHostBuilder(web => web.UseUrls("http://127.0.0.1:0"));
        _api.UseKestrel();
        _api.StartServer();
        Admin = _api.CreateAdminClient();
        BaseAddress = Admin.BaseAddress!;
        Kit = new FulfilmentKit(Admin);

        var chromium = Environment.GetEnvironmentVariable("OMS_CHROMIUM") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";
        if (!File.Exists(chromium))
        {
            throw new InvalidOperationException($"No browser at {chromium}: the console tests drive Debian's chromium (apt-get install -y chromium), or set OMS_CHROMIUM.");
        }

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            // Root in CI has no user namespace sandbox; and this machine's closed network refuses Chromium's own
            // background connections, which only slow it down.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>A fresh browser profile at laptop size (or <paramref name="width"/>), so no test sees another's session.</summary>
    public async Task<IPage> NewPage(int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = width, Height = height } });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        // A script error in the console is a failure even where no assertion looks.
        page.PageError += (_, error) => Errors.Add(error);
        return page;
    }

    public List<string> Errors { get; } = [];

    public async Task<string> Key(object body) => (await SecurityTestKit.CreateKey(Admin, body)).Key;

    /// <summary>Signs in through the form, as an agent does.</summary>
    public static async Task SignIn(IPage page, string key)
    {
        await page.GotoAsync("/care");
        await page.GetByLabel("API key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).WaitForAsync();
    }

    /// <summary>Where the README's screenshots come from: docs/console when OMS_CONSOLE_SCREENSHOTS names it, else the test output.</summary>
    public static Task Screenshot(IPage page, string name)
    {
        var folder = Environment.GetEnvironmentVariable("OMS_CONSOLE_SCREENSHOTS") is { Length: > 0 } configured ? configured : Path.Combine(AppContext.BaseDirectory, "console-screenshots");
        Directory.CreateDirectory(folder);
        return page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        Admin.Dispose();
        await _api.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}

// Alone, after the parallel collections: a browser and its renderer processes would starve the others' eventual waits on 2 cores.
[CollectionDefinition("console", DisableParallelization = true)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleFixture>;
