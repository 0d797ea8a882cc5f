using Oms.Contracts.Webhooks;

namespace Oms.Grains.Webhooks;

/// <summary>The bounds of the webhook feature, in one place for the API, the grains and the README.</summary>
public static class WebhookLimits
{
    public const int MaxSubscriptions = 100;
    public const int MaxDescriptionLength = 500;
    public const int MaxGraceSeconds = 7 * 24 * 3600;
    public const int DefaultGraceSeconds = 24 * 3600;

    /// <summary>Attempts kept in a delivery's log; the oldest go first.</summary>
    public const int MaxAttemptsKept = 50;

    /// <summary>Most events queued by one replay call; the answer says where to continue.</summary>
    public const int MaxReplay = 5_000;

    public const int MaxPageSize = 500;
    public const int DefaultPageSize = 100;

    public const string SecretPrefix = "whsec_";

    public static bool Matches(DeliveryFilter filter, DeliveryStatus status, int attempts) => filter switch
    {
        DeliveryFilter.Pending => status == DeliveryStatus.Pending,
        DeliveryFilter.Failed => status == DeliveryStatus.Pending && attempts > 0,
        DeliveryFilter.Delivered => status == DeliveryStatus.Delivered,
        DeliveryFilter.DeadLettered => status == DeliveryStatus.DeadLettered,
        _ => true,
    };

    /// <summary>A new signing secret: <c>whsec_</c> and 32 random bytes in base64, as Standard Webhooks writes them.</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>A new subscription id: <c>wh_</c> and 16 random hex digits.</summary>
    public static string NewId() => "wh_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
}
