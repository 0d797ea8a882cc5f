using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Oms.Tests.Infrastructure;
using Oms.Tests.Security;

namespace Oms.Tests.CareConsole;

/// <summary>
/// The scenarios in a real browser: an agent and a boutique's staff using the console, which uses nothing
/// but the public API. Each check that the console changed something reads the OMS back over that same API.
/// </summary>
[Collection("console")]
public sealed class ConsoleBrowserTests(ConsoleFixture console)
{
    private static readonly LocatorAssertionsToHaveTextOptions Soon = new() { Timeout = 15_000 };

    private async Task<(string Boutique, string Warehouse, string Sku)> Network(int atBoutique, int atWarehouse)
    {
        var boutique = await console.Kit.Location("boutique");
        var warehouse = await console.Kit.Location("warehouse", offset: 0.01);
        var sku = Oms.Tests.Infrastructure.Network.Unique("BAG");
        await console.Kit.Stock(boutique, sku, atBoutique);
        await console.Kit.Stock(warehouse, sku, atWarehouse);
        await console.Kit.WaitForAvailability(sku, atBoutique + atWarehouse);
        return (boutique, warehouse, sku);
    }

    /// <summary>An order of <paramref name="quantity"/> units for a customer no other test shares, so a search finds it alone.</summary>
    private async Task<(string OrderId, string Email)> Order(string sku, int quantity, string delivery, string name = "Camille Martin")
    {
        var orderId = Oms.Tests.Infrastructure.Network.Unique("ORD");
        var email = $"{orderId.ToLowerInvariant()}@example.com";
        await console.Kit.Place($$"""
            { "orderId": "{{orderId}}", "channel": "web",
              "customer": { "customerId": "C-{{orderId}}", "email": "{{email}}", "name": "{{name}}" },
              "lines": [ { "lineId": "1", "sku": "{{sku}}", "quantity": {{quantity}}, "unitPrice": 1200.00, "currency": "EUR" } ],
              "delivery": {{delivery}} }
            """);
        return (orderId, email);
    }

    private static string Pickup(string boutique) => $$"""{ "method": "clickAndCollect", "pickupLocationId": "{{boutique}}" }""";

    private const string Home = """{ "method": "shipToHome", "address": { "line1": "1 Long St", "city": "Cape Town", "countryCode": "ZA", "latitude": -33.9, "longitude": 18.4 } }""";

    /// <summary>Search follows the event feed a moment behind: the agent reloads, as an agent would, until the row is there.</summary>
    private static Task Listed(IPage page, ILocator row, string because) => Eventually.Until(async () =>
    {
        await page.ReloadAsync();
        return await row.CountAsync();
    }, n => n == 1, TimeSpan.FromSeconds(10), because);

    private static ILocator Dialog(IPage page) => page.Locator("dialog[open]");

    private static Task Confirm(IPage page, string verb) =>
        Dialog(page).GetByRole(AriaRole.Button, new() { Name = verb, Exact = true }).ClickAsync();

    [Fact]
    public async Task An_agent_signs_in_finds_the_order_by_email_cancels_a_line_adds_a_note_and_signs_out()
    {
        var (boutique, _, sku) = await Network(atBoutique: 3, atWarehouse: 0);
        var (orderId, email) = await Order(sku, 2, Pickup(boutique), name: "Camille <b>Martin</b>");
        var agent = await console.Key(new { name = "Marie (care)", role = "care" });
        var page = await console.NewPage();
        var alerts = 0;
        page.Dialog += (_, dialog) => { alerts++; _ = dialog.DismissAsync(); };

        await ConsoleFixture.SignIn(page, agent);

        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        var link = page.GetByRole(AriaRole.Link, new() { Name = orderId });
        await Listed(page, link, "order search shows the order");
        await Assertions.Expect(page.Locator("tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("tbody")).ToContainTextAsync("Camille <b>Martin</b>");
        await ConsoleFixture.Screenshot(page, "search");

        await link.ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Timeline" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync(orderId);
        await Assertions.Expect(page.Locator("h1 .badge")).ToHaveTextAsync("allocated");
        await Assertions.Expect(page.GetByText("Why from here:").First).ToBeVisibleAsync();

        // Cancel one of the two units: the timeline says so at once, and the boutique's stock is back.
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel line 1" }).ClickAsync();
        await Dialog(page).GetByLabel("Quantity").FillAsync("1");
        await Confirm(page, "Cancel line");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Cancelled 1 unit of line 1.", Soon);
        await Assertions.Expect(page.Locator("ol.timeline li").Last).ToContainTextAsync("cancelled");
        await Assertions.Expect(page.Locator("ol.timeline li").Last).ToContainTextAsync("Marie (care)");
        await Assertions.Expect(page.Locator("h1 .badge").First).ToHaveTextAsync("partially cancelled");
        var position = await SecurityTestKit.Json(await console.Admin.GetAsync($"/api/v1/locations/{boutique}/stock/{sku}"));
        Assert.Equal((1, 2), ((int)position["allocated"]!, (int)position["available"]!));
        var order = await console.Kit.Order(orderId);
        Assert.Equal(1, (int)order["lines"]![0]!["cancelledQuantity"]!);
        Assert.StartsWith("key:", (string)order["timeline"]!.AsArray().Last()!["actor"]!);

        // The ledger of the stock item, one link away: the release is its last movement.
        await page.GetByRole(AriaRole.Link, new() { Name = $"{boutique} · {sku}" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Ledger" })).ToBeVisibleAsync();
        var ledger = await SecurityTestKit.Json(await console.Admin.GetAsync($"/api/v1/locations/{boutique}/stock/{sku}/ledger"));
        await Assertions.Expect(page.Locator("tbody tr")).ToHaveCountAsync(ledger["entries"]!.AsArray().Count);
        await page.GoBackAsync();

        // A note is text, whatever it contains.
        const string note = "<script>alert(1)</script><img src=x onerror=alert(2)> called back";
        await page.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
        await Dialog(page).GetByLabel("Note").FillAsync(note);
        await Confirm(page, "Add note");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Note added.", Soon);
        await Assertions.Expect(page.Locator("ol.timeline li .details").Last).ToHaveTextAsync(note);
        Assert.Equal(0, await page.Locator("main script, main img").CountAsync());
        Assert.Equal(0, alerts);
        await ConsoleFixture.Screenshot(page, "order");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("API key")).ToBeVisibleAsync();
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "oms_session");
        var status = await page.APIRequest.GetAsync("/api/v1/orders?email=x@example.com");
        Assert.Equal(401, status.Status);
        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task An_agent_authorises_the_return_of_one_delivered_unit_and_exchanges_the_other()
    {
        var (_, warehouse, sku) = await Network(atBoutique: 0, atWarehouse: 4);
        var replacement = Oms.Tests.Infrastructure.Network.Unique("BAG");
        await console.Kit.Stock(warehouse, replacement, 2);
        await console.Kit.WaitForAvailability(replacement, 2);
        var (orderId, _) = await Order(sku, 2, Home);
        var fulfilmentId = (string)(await console.Kit.Order(orderId))["fulfilments"]![0]!["fulfilmentId"]!;
        foreach (var step in new object[]
        {
            new { eventId = "wms-accept", type = "accepted" },
            new { eventId = "wms-ship", type = "shipped", carrier = "DHL", trackingNumber = "JD1", trackingUrl = "https://dhl.example/JD1" },
            new { eventId = "pod", type = "delivered" },
        })
        {
            await console.Kit.Reported(orderId, fulfilmentId, step);
        }

        var page = await console.NewPage();
        await ConsoleFixture.SignIn(page, await console.Key(new { name = "care", role = "care" }));
        await page.GotoAsync($"/care/#/orders/{orderId}");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "DHL JD1" })).ToHaveAttributeAsync("href", "https://dhl.example/JD1");

        await page.GetByRole(AriaRole.Button, new() { Name = "Authorise return" }).ClickAsync();
        await Dialog(page).GetByLabel("Line 1").FillAsync("1");
        await Dialog(page).GetByLabel("Method").SelectOptionAsync("shipBack");
        await Assertions.Expect(Dialog(page).GetByLabel("Receiving location")).ToHaveValueAsync(warehouse);
        await Confirm(page, "Authorise return");

        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("authorised.", new() { Timeout = 15_000 });
        var authorised = Assert.Single((await console.Kit.Order(orderId))["returns"]!.AsArray())!;
        Assert.Equal(("authorised", 1), ((string?)authorised["status"], (int)authorised["lines"]![0]!["quantity"]!));
        await Assertions.Expect(page.GetByRole(AriaRole.Cell, new() { Name = (string)authorised["returnId"]! })).ToBeVisibleAsync();

        // A SKU that does not exist is refused in the dialog, naming the field; the right one goes through.
        await page.GetByRole(AriaRole.Button, new() { Name = "Start exchange" }).ClickAsync();
        await Dialog(page).GetByLabel("New SKU").FillAsync("NO-SUCH-SKU");
        await Dialog(page).GetByLabel("Return method").SelectOptionAsync("shipBack");
        await Confirm(page, "Start exchange");
        await Assertions.Expect(Dialog(page).GetByRole(AriaRole.Alert)).ToContainTextAsync("newSku");
        await Dialog(page).GetByLabel("New SKU").FillAsync(replacement);
        await Confirm(page, "Start exchange");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("started.", new() { Timeout = 15_000 });
        var order = await console.Kit.Order(orderId);
        Assert.Single(order["exchanges"]!.AsArray());
        Assert.Equal(2, order["returns"]!.AsArray().Count);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Exchanges" })).ToBeVisibleAsync();
        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task An_agent_moves_a_pickup_to_another_boutique_and_a_boutique_it_cannot_serve_is_refused_in_the_dialog()
    {
        var (boutique, _, sku) = await Network(atBoutique: 1, atWarehouse: 0);
        var closer = await console.Kit.Location("boutique", offset: 0.03);
        await console.Kit.Stock(closer, sku, 1);
        await console.Kit.WaitForAvailability(sku, 2);
        var empty = await console.Kit.Location("boutique", offset: 0.04);
        var (orderId, _) = await Order(sku, 1, Pickup(boutique));

        var page = await console.NewPage();
        await ConsoleFixture.SignIn(page, await console.Key(new { name = "care", role = "care" }));
        await page.GotoAsync($"/care/#/orders/{orderId}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change pickup boutique" }).ClickAsync();
        await Dialog(page).GetByLabel("New pickup boutique").FillAsync(empty);
        await Confirm(page, "Change pickup boutique");
        await Assertions.Expect(Dialog(page).GetByRole(AriaRole.Alert)).ToContainTextAsync("locationId");
        Assert.Equal(boutique, (string?)(await console.Kit.Order(orderId))["delivery"]!["pickupLocationId"]);

        await Dialog(page).GetByLabel("New pickup boutique").FillAsync(closer);
        await Confirm(page, "Change pickup boutique");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync($"Pickup moved to {closer}.", Soon);
        await Assertions.Expect(page.Locator("dl.summary").First).ToContainTextAsync($"click and collect at {closer}");
        await Assertions.Expect(page.Locator("ol.timeline")).ToContainTextAsync("pickup location changed");
        var moved = await console.Kit.Order(orderId);
        Assert.Equal(closer, (string?)moved["delivery"]!["pickupLocationId"]);
        var released = await SecurityTestKit.Json(await console.Admin.GetAsync($"/api/v1/locations/{boutique}/stock/{sku}"));
        Assert.Equal((0, 1), ((int)released["allocated"]!, (int)released["available"]!));
        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task A_boutique_works_its_queue_with_a_store_key_and_cannot_open_another_boutiques()
    {
        var (boutique, _, sku) = await Network(atBoutique: 2, atWarehouse: 0);
        var other = await console.Kit.Location("boutique", offset: 0.02);
        var (orderId, _) = await Order(sku, 1, Pickup(boutique));
        var staff = await console.Key(new { name = "boutique tablet", role = "store", locationIds = new[] { boutique } });
        var page = await console.NewPage(width: 1024, height: 768);

        await ConsoleFixture.SignIn(page, staff);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync($"Boutique queue {boutique}");
        await ConsoleFixture.Screenshot(page, "boutique-queue");

        await page.GetByRole(AriaRole.Button, new() { Name = $"Accept {orderId} F1" }).ClickAsync();
        await Confirm(page, "Accept");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync($"{orderId} F1: accepted.", Soon);

        await page.GetByRole(AriaRole.Button, new() { Name = $"Ready for pickup {orderId} F1" }).ClickAsync();
        await Confirm(page, "Ready for pickup");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync($"{orderId} F1: ready for pickup.", Soon);

        // The customer shows the code from their message; the boutique types it in.
        var code = (string)(await console.Kit.Order(orderId))["fulfilments"]![0]!["pickupCode"]!;
        await page.GetByRole(AriaRole.Button, new() { Name = $"Collected {orderId} F1" }).ClickAsync();
        await Dialog(page).GetByLabel("Pickup code").FillAsync(code == "000000" ? "111111" : "000000");
        await Confirm(page, "Collected");
        await Assertions.Expect(Dialog(page).GetByRole(AriaRole.Alert)).ToContainTextAsync("pickupCode");
        await Dialog(page).GetByLabel("Pickup code").FillAsync(code);
        await Confirm(page, "Collected");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync($"{orderId} F1: collected.", Soon);
        Assert.Equal("collected", (string?)(await console.Kit.Order(orderId))["fulfilments"]![0]!["status"]);

        await page.GotoAsync($"/care/#/queue/{other}");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync($"may not act for location '{other}'");
        Assert.Equal(0, await page.GetByRole(AriaRole.Heading, new() { Name = "Fulfilments to work on" }).CountAsync());
        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task The_stock_lookup_and_the_attention_queue_answer_an_agent_on_a_tablet_by_keyboard()
    {
        var (boutique, warehouse, sku) = await Network(atBoutique: 1, atWarehouse: 3);
        // Only the pickup boutique holds this one: when it turns the order down, no location can take it, and a person must look.
        var (lonely, _, rare) = await Network(atBoutique: 1, atWarehouse: 0);
        var (stuck, _) = await Order(rare, 1, Pickup(lonely));
        await console.Kit.Reported(stuck, "F1", new { eventId = "pos-reject", type = "rejected", reason = "damaged" });
        await Eventually.Until(() => console.Kit.Order(stuck), o => o["needsAttention"] is not null, TimeSpan.FromSeconds(10), "the order needs attention");

        var page = await console.NewPage(width: 768, height: 1024);
        await page.GotoAsync("/care");
        // Keyboard only: the key field has the focus, Enter signs in.
        await Assertions.Expect(page.GetByLabel("API key")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync(await console.Key(new { name = "care", role = "care" }));
        await page.Keyboard.PressAsync("Enter");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).WaitForAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Stock" }).ClickAsync();
        await page.GetByLabel("SKU").FillAsync(sku);
        await page.GetByLabel("Boutique").FillAsync(boutique);
        await page.GetByLabel("Boutique").PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Online: what can be sold online" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Cell, new() { Name = warehouse, Exact = true }).First).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Boutique {boutique}: its own stock" })).ToBeVisibleAsync();
        await ConsoleFixture.Screenshot(page, "stock");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page fits a tablet's width");

        await page.GetByRole(AriaRole.Link, new() { Name = "Attention" }).ClickAsync();
        var row = page.GetByRole(AriaRole.Link, new() { Name = stuck });
        await Listed(page, row, "the attention queue lists the order");
        await ConsoleFixture.Screenshot(page, "attention");

        // Stock turns up elsewhere; the agent re-sources from the order page, and the order no longer waits.
        await console.Kit.Stock(warehouse, rare, 2);
        await console.Kit.WaitForAvailability(rare, 2);
        await row.ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Re-source" }).ClickAsync();
        await Confirm(page, "Re-source");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Re-sourced.", Soon);
        Assert.Null((await console.Kit.Order(stuck))["needsAttention"]);
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Re-source" })).ToHaveCountAsync(0);
        Assert.Empty(console.Errors);
    }
}
