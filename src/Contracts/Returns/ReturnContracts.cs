namespace Oms.Contracts.Returns;

/// <summary>Why the customer sends units back; the retailer's fault (damaged, wrong item, not as described) refunds the shipping too.</summary>
[GenerateSerializer, Alias("oms.ReturnReason")]
public enum ReturnReason
{
    DoesNotFit = 0,
    NotAsDescribed = 1,
    Damaged = 2,
    WrongItem = 3,
    ChangedMind = 4,
    Other = 5,
}

[GenerateSerializer, Alias("oms.ReturnMethod")]
public enum ReturnMethod
{
    /// <summary>By carrier, to a warehouse or a boutique.</summary>
    ShipBack = 0,
    /// <summary>Brought to a boutique that accepts returns.</summary>
    DropOff = 1,
    /// <summary>A parcel stopped by the carrier on its way and sent back: a cancellation after shipment.</summary>
    Intercept = 2,
}

[GenerateSerializer, Alias("oms.ReturnStatus")]
public enum ReturnStatus
{
    Authorised = 0,
    PartiallyReceived = 1,
    Received = 2,
    /// <summary>Nothing, or not everything, arrived before the authorisation ran out.</summary>
    Expired = 3,
    Cancelled = 4,
}

[GenerateSerializer, Alias("oms.ReturnCondition")]
public enum ReturnCondition
{
    /// <summary>Back on hand and sellable at once where it was received.</summary>
    Resellable = 0,
    /// <summary>Kept on hand, quarantined: not sellable.</summary>
    Damaged = 1,
}
