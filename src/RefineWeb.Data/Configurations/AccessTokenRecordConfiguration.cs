using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RefineWeb.Data.Entities;

namespace RefineWeb.Data.Configurations;

/// <summary>Access tokens for scripts: found by the hash of the token (unique), listed per owner.</summary>
sealed class AccessTokenRecordConfiguration : IEntityTypeConfiguration<AccessTokenRecord>
{
    public void Configure(EntityTypeBuilder<AccessTokenRecord> token)
    {
        token.HasKey(t => t.Id);
        token.Property(t => t.Id).HasMaxLength(32);
        token.Property(t => t.Name).HasMaxLength(AccessTokenRecord.MaxNameLength);
        token.Property(t => t.TokenHash).HasMaxLength(64);
        token.HasIndex(t => t.TokenHash).IsUnique();
        token.HasIndex(t => t.OwnerId);
    }
}
