namespace RefineWeb.Security;

/// <summary>How fast things may be created: "Gallery:CreationsPerMinute" and "Gallery:CreationsPerMinutePerAddress" in appsettings.json.</summary>
public sealed class CreationLimits
{
    public const string Section = "Gallery";

    /// <summary>Creation requests (generations, refinements, upscales, uploads, shares) one session may make per minute.</summary>
    public int CreationsPerMinute { get; set; } = 30;

    /// <summary>Creation requests all sessions of one client address may make per minute together (several people behind one NAT).</summary>
    public int CreationsPerMinutePerAddress { get; set; } = 120;
}
