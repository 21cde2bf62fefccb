using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RefineWeb.Data.Entities;

namespace RefineWeb.Data.Configurations;

/// <summary>Images: listed per owner newest first, found by file (content-addressed), a refinement's parent kept until it goes.</summary>
sealed class ImageRecordConfiguration : IEntityTypeConfiguration<ImageRecord>
{
    public void Configure(EntityTypeBuilder<ImageRecord> image)
    {
        image.HasKey(i => i.Id);
        image.Property(i => i.Id).HasMaxLength(32);
        image.Property(i => i.Origin).HasMaxLength(16);
        image.Property(i => i.FileHash).HasMaxLength(64);
        image.Property(i => i.MaskFileHash).HasMaxLength(64);
        image.Property(i => i.Prompt).HasMaxLength(1000);
        image.HasIndex(i => new { i.OwnerId, i.CreatedAt });
        image.HasIndex(i => i.FileHash);
        image.HasOne<ImageRecord>().WithMany().HasForeignKey(i => i.ParentId).OnDelete(DeleteBehavior.SetNull);
    }
}
