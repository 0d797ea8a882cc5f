namespace Oms.Grains;

/// <summary>The single grain-storage provider every persisted grain names explicitly.</summary>
public static class OmsStorage
{
    public const string Name = "oms";
}
