using Oms.Api.Orders;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;

namespace Oms.Api.Demo;

/// <summary>What happens to a demo order after checkout, so care's console has every kind of order to show.</summary>
public enum DemoStory
{
    /// <summary>Left as checkout placed it: requested at its location, waiting to be accepted.</summary>
    Placed,

    /// <summary>Accepted by its location and not yet packed.</summary>
    Accepted,

    /// <summary>Care cancels its second line at the customer's request.</summary>
    CancelSecondLine,

    /// <summary>Accepted, packed, shipped with tracking and delivered: a return can be authorised on it.</summary>
    Delivered,

    /// <summary>Accepted by the pickup boutique and ready for the customer, with a pickup code.</summary>
    ReadyForPickup,

    /// <summary>Every location asked finds the unit is not on its shelf, until none is left: the order needs attention.</summary>
    Unfulfillable,
}

/// <summary>One demo order: the checkout body a storefront or care would send, and what happens to it next.</summary>
public sealed record DemoOrder(OrderRequest Request, DemoStory Story)
{
    public string OrderId => Request.OrderId!;
}

/// <summary>
/// A dozen orders for the demo network (--seed-demo), so order search, the order page and the boutique queue have
/// something to show: web, app and care; ship-to-home and click-and-collect at <see cref="Boutique"/>; a few
/// customers, <see cref="SearchEmail"/> with three orders. Fixed ids and bodies, so placing them again after a
/// restart on PostgreSQL replays the checkouts rather than adding orders. Their SKUs are chosen by rule from
/// <see cref="DemoNetwork.Stock"/>, which is deterministic, so they always find the stock they need; the SKUs the
/// README's examples use are left alone, so its figures stay as shown.
/// </summary>
public static class DemoOrders
{
    /// <summary>The demo store key's boutique.</summary>
    public const string Boutique = "BQ-PARIS-1";

    public const string SearchEmail = "camille.martin@example.com";

    public const string IdPrefix = "DEMO-";

    private const string Warehouse = "WH-EU-PARIS";

    private static readonly HashSet<string> ReadmeSkus = ["BAG-001", "SCARF-003", "SHOE-042"];

    private static readonly Dictionary<string, decimal> Prices = new(StringComparer.Ordinal)
    {
        ["BAG"] = 2400m, ["SLG"] = 450m, ["SCARF"] = 390m, ["SHOE"] = 850m, ["RTW"] = 1200m, ["JEWEL"] = 3200m,
    };

    private static readonly (string Id, string Email, string Name, string Line1, string City, string Postal, string Country, double Lat, double Lon)[] Customers =
    [
        ("C-DEMO-CAMILLE", SearchEmail, "Camille Martin", "8 rue de Rivoli", "Paris", "75004", "FR", 48.8556, 2.3590),
        ("C-DEMO-LUCAS", "lucas.bernard@example.com", "Lucas Bernard", "14 place Bellecour", "Lyon", "69002", "FR", 45.7578, 4.8320),
        ("C-DEMO-SOFIA", "sofia.rossi@example.com", "Sofia Rossi", "Via della Spiga 9", "Milano", "20121", "IT", 45.4707, 9.1956),
        ("C-DEMO-JAMES", "james.wilson@example.com", "James Wilson", "22 Sloane Street", "London", "SW1X 9NE", "GB", 51.4998, -0.1590),
        ("C-DEMO-EMMA", "emma.schmidt@example.com", "Emma Schmidt", "Leopoldstraße 40", "München", "80802", "DE", 48.1590, 11.5850),
        ("C-DEMO-LEA", "lea.dubois@example.com", "Léa Dubois", "3 avenue Mozart", "Paris", "75016", "FR", 48.8550, 2.2700),
        ("C-DEMO-YUKI", "yuki.tanaka@example.com", "Yuki Tanaka", "5 rue Cler", "Paris", "75007", "FR", 48.8566, 2.3060),
        ("C-DEMO-OMAR", "omar.haddad@example.com", "Omar Haddad", "27 boulevard Haussmann", "Paris", "75009", "FR", 48.8738, 2.3320),
    ];

    /// <summary>Every demo order, in the order they are placed (so oldest first is DEMO-1001).</summary>
    public static IReadOnlyList<DemoOrder> All { get; } = Build();

    private static List<DemoOrder> Build()
    {
        var stock = DemoNetwork.Stock().ToList();
        var boutiques = DemoNetwork.Locations.Where(l => l.Type == LocationType.Boutique).Select(l => l.LocationId).ToHashSet(StringComparer.Ordinal);
        int OnHand(string location, string sku) => stock.FirstOrDefault(s => s.LocationId == location && s.Sku == sku).OnHand;

        // Sellable online at a location: what stays after its safety stock (a boutique keeps one for walk-ins, two of BAG-001).
        int Online(string location, string sku)
        {
            var at = stock.FirstOrDefault(s => s.LocationId == location && s.Sku == sku);
            return at.Sku is null ? 0 : Math.Max(0, at.OnHand - (boutiques.Contains(location) ? (sku == "BAG-001" ? 2 : 1) : at.SafetyStock));
        }

        var used = new HashSet<string>(ReadmeSkus, StringComparer.Ordinal);
        string Pick(string family, Func<string, bool> rule)
        {
            var sku = DemoNetwork.Skus().First(s => s.StartsWith(family + "-", StringComparison.Ordinal) && !used.Contains(s) && rule(s));
            used.Add(sku);
            return sku;
        }

        // Deep in the Paris warehouse: checkout finds it whatever else the demo has sold.
        bool Deep(string sku) => OnHand(Warehouse, sku) >= 20;

        // On the Paris boutique's shelf with a unit to spare for online: collected there, without a transfer.
        bool AtBoutique(string sku) => Online(Boutique, sku) >= 1 && Deep(sku);

        // Not at the Paris boutique at all: click-and-collect there means a transfer from a warehouse.
        bool TransferOnly(string sku) => OnHand(Boutique, sku) == 0 && Deep(sku);

        // Sellable online at one location only, so once that location finds none on its shelf nobody is left to ask.
        var scarce = DemoNetwork.Skus().Where(s => !used.Contains(s))
            .Select(s => (Sku: s, Places: DemoNetwork.Locations.Count(l => Online(l.LocationId, s) > 0)))
            .Where(s => s.Places > 0)
            .OrderBy(s => s.Places).ThenBy(s => s.Sku, StringComparer.Ordinal)
            .First().Sku;
        used.Add(scarce);

        var orders = new List<DemoOrder>();
        void Add(OrderChannel channel, int customer, DeliveryDto? pickup, DemoStory story, params (string Sku, int Quantity)[] lines)
        {
            var c = Customers[customer];
            var id = $"{IdPrefix}{1001 + orders.Count}";
            var delivery = pickup ?? new DeliveryDto(DeliveryMethod.ShipToHome, new DeliveryAddressDto(c.Line1, c.City, c.Country, c.Postal, c.Lat, c.Lon));
            var request = new OrderRequest(channel, new CustomerDto(c.Id, c.Email, c.Name),
                [.. lines.Select((l, i) => new OrderLineDto($"{i + 1}", l.Sku, l.Quantity, Prices[l.Sku[..l.Sku.IndexOf('-')]], "EUR"))],
                delivery, OrderId: id, ShippingAmount: pickup is null ? 15m : 0m, Payment: new PaymentDto(PaymentStatus.Captured));
            orders.Add(new DemoOrder(request, story));
        }

        var collect = new DeliveryDto(DeliveryMethod.ClickAndCollect, PickupLocationId: Boutique);
        Add(OrderChannel.Web, 0, null, DemoStory.Delivered, (Pick("BAG", Deep), 1));
        Add(OrderChannel.App, 0, collect, DemoStory.Placed, (Pick("SLG", AtBoutique), 1));
        Add(OrderChannel.Care, 0, null, DemoStory.CancelSecondLine, (Pick("SHOE", Deep), 1), (Pick("SCARF", Deep), 1));
        Add(OrderChannel.Web, 1, null, DemoStory.Placed, (Pick("RTW", Deep), 2));
        Add(OrderChannel.App, 2, collect, DemoStory.Placed, (Pick("BAG", TransferOnly), 1));
        Add(OrderChannel.Web, 4, null, DemoStory.Accepted, (Pick("JEWEL", Deep), 1));
        Add(OrderChannel.Care, 3, null, DemoStory.Placed, (Pick("SCARF", Deep), 1), (Pick("SLG", Deep), 1));
        Add(OrderChannel.Web, 6, collect, DemoStory.ReadyForPickup, (Pick("SCARF", AtBoutique), 1));
        Add(OrderChannel.App, 5, null, DemoStory.Accepted, (Pick("SHOE", Deep), 1));
        Add(OrderChannel.Care, 5, collect, DemoStory.Placed, (Pick("RTW", AtBoutique), 1));
        Add(OrderChannel.Web, 1, null, DemoStory.Delivered, (Pick("SLG", Deep), 1));
        Add(OrderChannel.Web, 7, null, DemoStory.Unfulfillable, (scarce, 1));
        return orders;
    }
}
