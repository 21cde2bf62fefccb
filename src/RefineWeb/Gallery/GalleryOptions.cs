namespace RefineWeb.Gallery;

public enum GalleryProvider { Sqlite, PostgreSql }

/// <summary>Where the gallery lives: "Gallery" in appsettings.json, connection string "ConnectionStrings:Gallery".</summary>
public sealed class GalleryOptions
{
    public const string Section = "Gallery";

    /// <summary>SQLite (embedded default) or PostgreSQL (several app servers sharing one database).</summary>
    public GalleryProvider Provider { get; set; } = GalleryProvider.Sqlite;

    /// <summary>Image files, content-addressed (relative to the content root unless absolute).</summary>
    public string ImageDirectory { get; set; } = "data/images";

    /// <summary>Creation requests (generations, refinements, upscales, uploads, shares) one session may make per minute.</summary>
    public int CreationsPerMinute { get; set; } = 30;

    /// <summary>Creation requests all sessions of one client address may make per minute together (several people behind one NAT).</summary>
    public int CreationsPerMinutePerAddress { get; set; } = 120;

    /// <summary>Files nobody points at are removed on start once they are this old (younger ones may belong to a
    /// row another server is about to commit).</summary>
    public TimeSpan OrphanGracePeriod { get; set; } = TimeSpan.FromMinutes(10);
}
