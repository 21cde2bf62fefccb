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

    /// <summary>Files nobody points at are removed on start once they are this old (younger ones may belong to a
    /// row another server is about to commit).</summary>
    public TimeSpan OrphanGracePeriod { get; set; } = TimeSpan.FromMinutes(10);
}
