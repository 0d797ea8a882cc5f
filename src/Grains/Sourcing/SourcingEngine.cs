using System.Text.Json;
using Oms.Contracts.Availability;
using Oms.Contracts.Locations;
using Oms.Contracts.Orders;
using Oms.Grains.ClickAndCollect;

namespace Oms.Grains.Sourcing;

public sealed record SourcingLine(string LineId, string Sku, int Quantity);

public sealed record SourcingDemand(
    IReadOnlyList<SourcingLine> Lines, DeliveryMethod Method, double? Latitude, double? Longitude, string? PickupLocationId);

public sealed record SourcingResult(IReadOnlyList<Fulfilment> Fulfilments, IReadOnlyList<UnsourcedLine> Unsourced)
{
    public bool Complete => Unsourced.Count == 0;
}

/// <summary>
/// Decides which location fulfils each order line. Pure and deterministic: the same demand, profile,
/// profiles and availability always give the same plan, so it is table-tested and can be simulated.
/// Every group carries why its location won and what every other candidate scored or why it was excluded.
/// </summary>
public static class SourcingEngine
{
    private const int MaxExplainedCandidates = 20;

    /// <param name="views">The raw network view of each SKU in the order (store ATP per location).</param>
    /// <param name="excluded">Locations to leave out with the reason, such as a boutique whose ship capacity is used up today.</param>
    /// <param name="earliestDelivery">A shipment's earliest delivery date from a location, for profiles that rank by
    /// <see cref="SourcingCriterion.DeliveryDate"/>; null when it cannot promise one.</param>
    public static SourcingResult Plan(
        SourcingDemand demand,
        SourcingProfile profile,
        IReadOnlyCollection<LocationInfo> locations,
        IReadOnlyDictionary<string, SkuAvailability> views,
        IReadOnlyDictionary<string, string>? excluded = null,
        Func<LocationInfo, DateOnly?>? earliestDelivery = null)
    {
        excluded ??= new Dictionary<string, string>();
        return demand.Method == DeliveryMethod.ClickAndCollect
            ? ClickAndCollect(demand, profile, locations, views, excluded)
            : ShipToHome(demand, profile, locations, views, excluded, profile.Criteria.Contains(SourcingCriterion.DeliveryDate) ? earliestDelivery : null);
    }

    /// <summary>
    /// The location a one-unit ship-to-home order of <paramref name="sku"/> would be sourced from: the choice
    /// <see cref="Plan"/> makes for that demand, without building its explanation, for listing pages.
    /// </summary>
    /// <param name="excluded">Whether to leave a location out, as <see cref="Plan"/>'s exclusions do.</param>
    public static LocationInfo? ChooseShipSource(
        string sku, SkuAvailability view, SourcingProfile profile, IReadOnlyDictionary<string, LocationInfo> locations,
        double? latitude, double? longitude, Func<LocationInfo, DateOnly?>? earliestDelivery = null, Func<LocationInfo, bool>? excluded = null) =>
        new ShipRanking(profile, locations, latitude, longitude, earliestDelivery, excluded).Choose(sku, view);

    /// <summary>
    /// <see cref="ChooseShipSource"/> for many SKUs to one destination: every criterion is a location's, not a SKU's,
    /// so each location is scored once and a SKU's choice is a scan of where it is stocked.
    /// </summary>
    public sealed class ShipRanking(
        SourcingProfile profile, IReadOnlyDictionary<string, LocationInfo> locations, double? latitude, double? longitude,
        Func<LocationInfo, DateOnly?>? earliestDelivery = null, Func<LocationInfo, bool>? excluded = null)
    {
        private readonly CandidateComparer _comparer = new(profile);
        private readonly Func<LocationInfo, DateOnly?>? _byDate = profile.Criteria.Contains(SourcingCriterion.DeliveryDate) ? earliestDelivery : null;

        /// <summary>Per location: its candidate, or null when it cannot ship at all.</summary>
        private readonly Dictionary<string, Candidate?> _scored = new(StringComparer.Ordinal);

        public LocationInfo? Choose(string sku, SkuAvailability view)
        {
            Candidate? best = null;
            foreach (var at in view.Locations)
            {
                if (at.Available <= 0 || Score(at.LocationId) is not { } candidate
                    || candidate.Location.OnlineAvailable(sku, at.Available, LocationCapability.ShipToCustomer) <= 0)
                {
                    continue;
                }

                if (best is null || _comparer.Compare(candidate, best) < 0)
                {
                    best = candidate;
                }
            }

            return best?.Location;
        }

        private Candidate? Score(string locationId)
        {
            if (!_scored.TryGetValue(locationId, out var candidate))
            {
                candidate = locations.TryGetValue(locationId, out var location) && ShipExclusion(location, profile) is null && excluded?.Invoke(location) != true
                    ? new Candidate(location, NoUnits, true, Distance(location, latitude, longitude), _byDate?.Invoke(location))
                    : null;
                _scored[locationId] = candidate;
            }

            return candidate;
        }
    }

    private static readonly IReadOnlyDictionary<string, int> NoUnits = new Dictionary<string, int>();

    private static string? ShipExclusion(LocationInfo location, SourcingProfile profile) =>
        !location.IsActive ? "paused"
        : !location.Can(LocationCapability.ShipToCustomer) ? "does not ship to customers"
        : location.Type == LocationType.Boutique && !profile.AllowShipFromBoutiques ? $"profile {profile.ProfileId} does not ship from boutiques"
        : null;

    private static double? Distance(LocationInfo location, double? lat, double? lon) =>
        lat is { } la && lon is { } lo ? Math.Round(Geo.DistanceKm(la, lo, location.Latitude, location.Longitude), 1) : null;

    private static SourcingResult ShipToHome(
        SourcingDemand demand, SourcingProfile profile, IReadOnlyCollection<LocationInfo> locations,
        IReadOnlyDictionary<string, SkuAvailability> views, IReadOnlyDictionary<string, string> excluded,
        Func<LocationInfo, DateOnly?>? earliestDelivery)
    {
        var verdicts = new List<CandidateVerdict>();
        var candidates = new List<Candidate>();
        foreach (var location in locations)
        {
            var reason = excluded.GetValueOrDefault(location.LocationId) ?? ShipExclusion(location, profile);
            var candidate = Candidate.For(location, demand.Lines, views, LocationCapability.ShipToCustomer, demand.Latitude, demand.Longitude, earliestDelivery);
            if (reason is not null)
            {
                // Only locations that hold some of the order are worth explaining an exclusion for.
                if (candidate.HoldsAny)
                {
                    verdicts.Add(candidate.Verdict("excluded", reason, 0));
                }
            }
            else
            {
                candidates.Add(candidate);
            }
        }

        return Cover(demand.Lines, candidates, profile, FulfilmentMode.Ship, "ship-to-home", verdicts, views);
    }

    private static SourcingResult ClickAndCollect(
        SourcingDemand demand, SourcingProfile profile, IReadOnlyCollection<LocationInfo> locations,
        IReadOnlyDictionary<string, SkuAvailability> views, IReadOnlyDictionary<string, string> excluded)
    {
        var pickup = locations.FirstOrDefault(l => l.LocationId == demand.PickupLocationId);
        if (pickup is null || !pickup.IsActive || !pickup.Can(LocationCapability.ClickAndCollect))
        {
            var why = pickup is null ? "the pickup boutique is not registered"
                : !pickup.IsActive ? "the pickup boutique is paused"
                : "the pickup boutique does not offer click-and-collect";
            return new([], [.. demand.Lines.Select(l => new UnsourcedLine(l.LineId, l.Sku, l.Quantity, 0, why))]);
        }

        var here = Candidate.For(pickup, demand.Lines, views, LocationCapability.ClickAndCollect, pickup.Latitude, pickup.Longitude);
        var fulfilments = new List<Fulfilment>();
        var hereLines = demand.Lines.Where(l => here.Available[l.LineId] >= l.Quantity).ToList();
        if (hereLines.Count > 0)
        {
            fulfilments.Add(new Fulfilment("F1", pickup.LocationId, FulfilmentMode.Pickup,
                [.. hereLines.Select(l => new FulfilmentLine(l.LineId, l.Quantity))],
                new SourcingExplanation("click-and-collect: the pickup boutique's own stock comes first", profile.ProfileId,
                    [here.Verdict("chosen", $"holds {hereLines.Count} of {demand.Lines.Count} lines", hereLines.Count)])));
        }

        var rest = demand.Lines.Except(hereLines).ToList();
        if (rest.Count == 0)
        {
            return new(fulfilments, []);
        }

        if (!pickup.Can(LocationCapability.ReceivesTransfers))
        {
            return new(fulfilments, [.. rest.Select(l => new UnsourcedLine(l.LineId, l.Sku, l.Quantity, here.Available[l.LineId],
                "not at the pickup boutique, which does not receive transfers"))]);
        }

        var verdicts = new List<CandidateVerdict>();
        var senders = new List<Candidate>();
        foreach (var location in locations.Where(l => l.LocationId != pickup.LocationId))
        {
            var reason = excluded.GetValueOrDefault(location.LocationId)
                ?? (!location.IsActive ? "paused"
                : location.Type == LocationType.Boutique && !profile.AllowBoutiqueTransfers ? $"profile {profile.ProfileId} does not transfer between boutiques"
                : location.Type == LocationType.Boutique && !location.Can(LocationCapability.ShipToCustomer) ? "does not ship"
                : null);
            var candidate = Candidate.For(location, rest, views, LocationCapability.ShipToCustomer, pickup.Latitude, pickup.Longitude);
            if (reason is not null)
            {
                if (candidate.HoldsAny)
                {
                    verdicts.Add(candidate.Verdict("excluded", reason, 0));
                }
            }
            else
            {
                senders.Add(candidate);
            }
        }

        var transfers = Cover(rest, senders, profile with { MaxSplit = profile.MaxSplit - fulfilments.Count }, FulfilmentMode.Transfer,
            "click-and-collect transfer to the pickup boutique", verdicts, views, firstNumber: fulfilments.Count + 1);
        return new([.. fulfilments, .. transfers.Fulfilments], transfers.Unsourced);
    }

    /// <summary>
    /// Fewest shipments first: take the location that covers the most remaining lines whole (ties broken by the
    /// profile's criteria), again and again; a line no single location can cover is split last.
    /// </summary>
    private static SourcingResult Cover(
        IReadOnlyList<SourcingLine> lines, List<Candidate> candidates, SourcingProfile profile, FulfilmentMode mode, string rule,
        List<CandidateVerdict> excludedVerdicts, IReadOnlyDictionary<string, SkuAvailability> views, int firstNumber = 1)
    {
        var short_ = lines.Where(l => candidates.Sum(c => c.Available[l.LineId]) < l.Quantity).ToList();
        if (short_.Count > 0)
        {
            return new([], [.. short_.Select(l => new UnsourcedLine(l.LineId, l.Sku, l.Quantity, candidates.Sum(c => c.Available[l.LineId]),
                "not enough available across the eligible locations"))]);
        }

        var comparer = new CandidateComparer(profile);
        var remaining = lines.ToDictionary(l => l.LineId, l => l.Quantity);
        var left = candidates.ToDictionary(c => c.Location.LocationId, c => c.Available.ToDictionary(), StringComparer.Ordinal);
        var groups = new List<(Candidate Candidate, List<FulfilmentLine> Lines, List<CandidateVerdict> Verdicts)>();

        while (remaining.Count > 0)
        {
            var open = candidates.Where(c => groups.All(g => g.Candidate != c)).ToList();
            var scored = open
                .Select(c => (Candidate: c, Covered: remaining.Count(r => left[c.Location.LocationId][r.Key] >= r.Value)))
                .OrderByDescending(s => s.Covered)
                .ThenBy(s => s.Candidate, comparer)
                .ToList();

            if (scored.Count > 0 && scored[0].Covered > 0)
            {
                var (best, covered) = scored[0];
                var taken = remaining.Where(r => left[best.Location.LocationId][r.Key] >= r.Value).Select(r => new FulfilmentLine(r.Key, r.Value)).ToList();
                var why = covered == lines.Count ? "covers every line in one shipment" : $"covers {covered} of the {remaining.Count} remaining lines";
                var verdicts = new List<CandidateVerdict> { best.Verdict("chosen", why, taken.Count) };
                verdicts.AddRange(scored.Skip(1).Take(MaxExplainedCandidates).Select(s => s.Candidate.Verdict(
                    "beaten", s.Covered < covered ? $"covers {s.Covered} of the remaining lines" : comparer.WhyWorse(s.Candidate, best), s.Covered)));
                verdicts.AddRange(excludedVerdicts.Take(MaxExplainedCandidates));
                groups.Add((best, taken, verdicts));
                Take(taken, best);
                continue;
            }

            // No location has a whole line left: split the first remaining line, best locations first, joining a
            // shipment already planned from that location where there is one.
            var (lineId, quantity) = remaining.First();
            var source = candidates.Where(c => left[c.Location.LocationId][lineId] > 0).OrderBy(c => c, comparer).First();
            var part = new FulfilmentLine(lineId, Math.Min(quantity, left[source.Location.LocationId][lineId]));
            var existing = groups.FindIndex(g => g.Candidate == source);
            if (existing >= 0)
            {
                groups[existing].Lines.Add(part);
            }
            else
            {
                groups.Add((source, [part], [source.Verdict("chosen", "no location holds the whole line: split", 1), .. excludedVerdicts.Take(MaxExplainedCandidates)]));
            }

            Take([part], source);
        }

        void Take(IEnumerable<FulfilmentLine> taken, Candidate from)
        {
            foreach (var line in taken)
            {
                left[from.Location.LocationId][line.LineId] -= line.Quantity;
                remaining[line.LineId] -= line.Quantity;
                if (remaining[line.LineId] == 0)
                {
                    remaining.Remove(line.LineId);
                }
            }
        }

        if (groups.Count > profile.MaxSplit)
        {
            return new([], [.. lines.Select(l => new UnsourcedLine(l.LineId, l.Sku, l.Quantity, candidates.Sum(c => c.Available[l.LineId]),
                $"needs {groups.Count} shipments; profile {profile.ProfileId} allows {Math.Max(0, profile.MaxSplit)}"))]);
        }

        var fulfilments = groups.Select((g, i) => new Fulfilment(
            $"F{firstNumber + i}", g.Candidate.Location.LocationId, mode, g.Lines,
            new SourcingExplanation($"{rule}: fewest shipments, then {string.Join(", then ", profile.Criteria.Select(Describe))}",
                profile.ProfileId, g.Verdicts))).ToList();
        return new(fulfilments, []);
    }

    private static string Describe(SourcingCriterion criterion) => criterion switch
    {
        SourcingCriterion.LocationType => "location type",
        SourcingCriterion.Distance => "distance",
        SourcingCriterion.DeliveryDate => "delivery date",
        _ => "priority",
    };

    /// <summary>A location as a source for the lines at hand: what it may give of each, and how far it is.</summary>
    /// <param name="EarliestDelivery">Only known when the profile ranks by delivery date.</param>
    private sealed record Candidate(
        LocationInfo Location, IReadOnlyDictionary<string, int> Available, bool HoldsAny, double? DistanceKm, DateOnly? EarliestDelivery = null)
    {
        public static Candidate For(
            LocationInfo location, IReadOnlyList<SourcingLine> lines, IReadOnlyDictionary<string, SkuAvailability> views,
            LocationCapability capability, double? lat, double? lon, Func<LocationInfo, DateOnly?>? earliestDelivery = null)
        {
            var store = lines.ToDictionary(l => l.LineId, l => views.TryGetValue(l.Sku, out var view) ? view.AvailableAt(location.LocationId) : 0);
            var available = lines.ToDictionary(l => l.LineId, l => location.OnlineAvailable(l.Sku, store[l.LineId], capability));
            var holdsAny = store.Values.Any(units => units > 0);
            return new Candidate(location, available, holdsAny, Distance(location, lat, lon), holdsAny ? earliestDelivery?.Invoke(location) : null);
        }

        public CandidateVerdict Verdict(string verdict, string reason, int covered) =>
            new(Location.LocationId, verdict, reason, DistanceKm, Location.Priority, covered);

    }

    private sealed class CandidateComparer(SourcingProfile profile) : IComparer<Candidate>
    {
        public int Compare(Candidate? x, Candidate? y)
        {
            foreach (var criterion in profile.Criteria)
            {
                var order = Compare(criterion, x!, y!);
                if (order != 0)
                {
                    return order;
                }
            }

            return string.CompareOrdinal(x!.Location.LocationId, y!.Location.LocationId);
        }

        public string WhyWorse(Candidate loser, Candidate winner)
        {
            foreach (var criterion in profile.Criteria)
            {
                if (Compare(criterion, loser, winner) > 0)
                {
                    return criterion switch
                    {
                        // The API's names (camelCase), not the enum's: clients read this text beside the JSON.
                        SourcingCriterion.LocationType =>
                            $"{JsonNamingPolicy.CamelCase.ConvertName(loser.Location.Type.ToString())} ranks after {JsonNamingPolicy.CamelCase.ConvertName(winner.Location.Type.ToString())}",
                        SourcingCriterion.Distance => $"farther ({loser.DistanceKm} km against {winner.DistanceKm} km)",
                        SourcingCriterion.DeliveryDate => loser.EarliestDelivery is { } later
                            ? $"later delivery ({later:yyyy-MM-dd} against {winner.EarliestDelivery:yyyy-MM-dd})"
                            : "cannot promise a delivery date",
                        _ => $"lower priority ({loser.Location.Priority} against {winner.Location.Priority})",
                    };
                }
            }

            return "tied on every criterion; the lower location id wins";
        }

        private int Compare(SourcingCriterion criterion, Candidate x, Candidate y) => criterion switch
        {
            SourcingCriterion.LocationType => Rank(x.Location.Type).CompareTo(Rank(y.Location.Type)),
            SourcingCriterion.Distance => (x.DistanceKm ?? 0).CompareTo(y.DistanceKm ?? 0),
            // A location that cannot promise a date ranks after every one that can.
            SourcingCriterion.DeliveryDate => (x.EarliestDelivery ?? DateOnly.MaxValue).CompareTo(y.EarliestDelivery ?? DateOnly.MaxValue),
            // A higher priority number is preferred.
            _ => y.Location.Priority.CompareTo(x.Location.Priority),
        };

        private int Rank(LocationType type)
        {
            var index = profile.TypePreference.ToList().IndexOf(type);
            return index < 0 ? int.MaxValue : index;
        }
    }
}
