using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RefineWeb.Data.Entities;

namespace RefineWeb.Data.Configurations;

/// <summary>Share links: found by the hash of their token (unique), listed per owner, gone with the image they share.</summary>
sealed class ShareRecordConfiguration : IEntityTypeConfiguration<ShareRecord>
{
    public void Configure(EntityTypeBuilder<ShareRecord> share)
    {
        share.HasKey(s => s.Id);
        share.Property(s => s.Id).HasMaxLength(32);
        share.Property(s => s.TokenHash).HasMaxLength(64);
        share.HasIndex(s => s.TokenHash).IsUnique();
        share.HasIndex(s => s.OwnerId);
        share.HasOne<ImageRecord>().WithMany().HasForeignKey(s => s.ImageId).OnDelete(DeleteBehavior.Cascade);
    }
}
