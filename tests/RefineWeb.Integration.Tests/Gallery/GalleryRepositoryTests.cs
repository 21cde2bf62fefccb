using RefineWeb.Data;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RefineWeb.Engine.Imaging;
using RefineWeb.Gallery;
using RefineWeb.Generation;

namespace RefineWeb.Tests.Gallery;

/// <summary>The gallery's store and share links on both databases: a fresh SQLite file and the real PostgreSQL server.</summary>
public sealed class GalleryRepositoryTests
{
    public static TheoryData<GalleryProvider> Providers => [GalleryProvider.Sqlite, GalleryProvider.PostgreSql];

    readonly Guid alice = Guid.NewGuid(), bob = Guid.NewGuid();

    static byte[] Png(byte value) => new RgbImage(4, 4, Enumerable.Repeat(value, 4 * 4 * 3).ToArray()).ToPng();

    static ImageLineage Made(string prompt) => new(ImageOrigin.Generated, Prompt: prompt);

    static int FileCount(TestGallery gallery) =>
        Directory.Exists(gallery.Files.Root) ? Directory.GetFiles(gallery.Files.Root, "*", SearchOption.AllDirectories).Length : 0;

    [Theory, MemberData(nameof(Providers))]
    public async Task Images_are_listed_newest_first_to_their_owner_only(GalleryProvider provider)
    {
        await using var gallery = await TestGallery.CreateAsync(provider);
        var parameters = new ImageParameters { Prompt = "red heart", Seed = 7, Steps = [20, 10, 8], Stages = 3, Width = 4, Height = 4 };
        var first = await gallery.Images.AddAsync(alice, Png(1), 4, 4, Made("red heart"), parameters);
        var second = await gallery.Images.AddAsync(alice, Png(2), 4, 4, Made("blue heart"));
        var bobs = await gallery.Images.AddAsync(bob, Png(3), 4, 4, Made("cat face"));

        Assert.Equal([second.Id, first.Id], (await gallery.Images.ListAsync(alice)).Select(i => i.Id));
        Assert.Equal(parameters with { }, (await gallery.Images.GetAsync(alice, first.Id))!.Parameters, ParametersComparer.Instance);
        Assert.Equal(Png(1), await gallery.Images.ReadPngAsync(alice, first.Id));
        Assert.Equal(32, first.Id.Length);

        // Bob's view of Alice's image is the same as of an image that does not exist.
        Assert.Null(await gallery.Images.GetAsync(bob, first.Id));
        Assert.Null(await gallery.Images.ReadPngAsync(bob, first.Id));
        Assert.False(await gallery.Images.DeleteAsync(bob, first.Id));
        Assert.NotNull(await gallery.Images.GetAsync(alice, first.Id));
        Assert.Equal([bobs.Id], (await gallery.Images.ListAsync(bob)).Select(i => i.Id));
    }

    [Theory, MemberData(nameof(Providers))]
    public async Task Files_are_content_addressed_and_go_with_their_last_image(GalleryProvider provider)
    {
        await using var gallery = await TestGallery.CreateAsync(provider);
        var png = Png(9);
        var a = await gallery.Images.AddAsync(alice, png, 4, 4, Made("x"));
        var b = await gallery.Images.AddAsync(bob, png, 4, 4, Made("x"));
        var hash = Convert.ToHexStringLower(SHA256.HashData(png));
        var path = Path.Combine(gallery.Files.Root, hash[..2], hash + ".png");
        Assert.Equal(png, await File.ReadAllBytesAsync(path));
        Assert.Equal(1, FileCount(gallery)); // the same bytes are stored once

        Assert.True(await gallery.Images.DeleteAsync(alice, a.Id));
        Assert.True(File.Exists(path)); // Bob's image still needs it
        Assert.Equal(png, await gallery.Images.ReadPngAsync(bob, b.Id));
        Assert.True(await gallery.Images.DeleteAsync(bob, b.Id));
        Assert.False(File.Exists(path));
    }

    [Theory, MemberData(nameof(Providers))]
    public async Task A_refinement_keeps_its_parent_and_mask_until_the_parent_is_deleted(GalleryProvider provider)
    {
        await using var gallery = await TestGallery.CreateAsync(provider);
        var parent = await gallery.Images.AddAsync(alice, Png(1), 4, 4, Made("red apple"));
        var mask = MaskImage.ToPng([true, false, false, true, .. new bool[12]], 4, 4);
        var child = await gallery.Images.AddAsync(alice, Png(2), 4, 4, new ImageLineage(ImageOrigin.Refined, parent.Id, mask, "green apple"));
        var grandchild = await gallery.Images.AddAsync(alice, Png(3), 4, 4, new ImageLineage(ImageOrigin.Upscaled, child.Id, Prompt: "green apple"));

        Assert.Equal([child.Id, parent.Id], (await gallery.Images.AncestorsAsync(alice, grandchild.Id)).Select(i => i.Id));
        Assert.Equal(mask, await gallery.Images.ReadMaskAsync(alice, child.Id));
        Assert.Null(await gallery.Images.ReadMaskAsync(bob, child.Id));
        Assert.Equal($"/api/v1/images/{child.Id}/mask.png", (await gallery.Images.GetAsync(alice, child.Id))!.MaskUrl);

        Assert.True(await gallery.Images.DeleteAsync(alice, parent.Id));
        Assert.Null((await gallery.Images.GetAsync(alice, child.Id))!.ParentId); // the chain ends where the image was deleted
        Assert.Equal(mask, await gallery.Images.ReadMaskAsync(alice, child.Id));
        // A refinement finishing after its parent was deleted is still stored, without the dangling link.
        var late = await gallery.Images.AddAsync(alice, Png(4), 4, 4, new ImageLineage(ImageOrigin.Refined, parent.Id, mask));
        Assert.Null(late.ParentId);
    }

    [Theory, MemberData(nameof(Providers))]
    public async Task Share_links_show_what_they_cover_store_only_a_hash_and_stop_when_revoked(GalleryProvider provider)
    {
        await using var gallery = await TestGallery.CreateAsync(provider);
        var heart = await gallery.Images.AddAsync(alice, Png(1), 4, 4, Made("red heart"));
        var apple = await gallery.Images.AddAsync(alice, Png(2), 4, 4, Made("green apple"));
        await gallery.Images.AddAsync(bob, Png(3), 4, 4, Made("bob's cat"));

        Assert.Null(await gallery.Shares.CreateAsync(bob, heart.Id)); // not Bob's to share
        var one = (await gallery.Shares.CreateAsync(alice, heart.Id))!;
        var all = (await gallery.Shares.CreateAsync(alice, null))!;
        var later = await gallery.Images.AddAsync(alice, Png(4), 4, 4, Made("made after sharing"));

        Assert.Matches("^/s/[A-Za-z0-9_-]{22}$", one.Path);
        Assert.Equal([heart.Id], (await gallery.Shares.OpenAsync(one.Token!))!.Images.Select(i => i.Id));
        Assert.Equal([apple.Id, heart.Id], (await gallery.Shares.OpenAsync(all.Token!))!.Images.Select(i => i.Id)); // as of sharing; never Bob's
        Assert.Equal(Png(1), await gallery.Shares.ReadPngAsync(one.Token!, heart.Id));
        Assert.Null(await gallery.Shares.ReadPngAsync(one.Token!, apple.Id)); // not covered by that link
        Assert.Null(await gallery.Shares.ReadPngAsync(all.Token!, later.Id));

        await using (var db = await gallery.Services.GetRequiredService<IDbContextFactory<GalleryDbContext>>().CreateDbContextAsync())
        {
            var stored = await db.Shares.AsNoTracking().ToListAsync();
            Assert.Equal(2, stored.Count);
            Assert.All(stored, s => Assert.DoesNotContain(s.TokenHash, new[] { one.Token, all.Token }));
            Assert.Contains(stored, s => s.TokenHash == Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(one.Token!))));
        }

        Assert.False(await gallery.Shares.RevokeAsync(bob, one.Id));
        Assert.NotNull(await gallery.Shares.OpenAsync(one.Token!));
        Assert.True(await gallery.Shares.RevokeAsync(alice, one.Id));
        Assert.Null(await gallery.Shares.OpenAsync(one.Token!));
        Assert.Null(await gallery.Shares.ReadPngAsync(one.Token!, heart.Id));
        Assert.Equal([all.Id], (await gallery.Shares.ListAsync(alice)).Select(s => s.Id));
        Assert.Null(await gallery.Shares.OpenAsync("not-a-token"));

        // Deleting an image deletes the links to it.
        var link = (await gallery.Shares.CreateAsync(alice, apple.Id))!;
        await gallery.Images.DeleteAsync(alice, apple.Id);
        Assert.Null(await gallery.Shares.OpenAsync(link.Token!));
    }

    [Theory, MemberData(nameof(Providers))]
    public async Task Start_up_removes_files_no_row_points_at_once_they_are_old_enough(GalleryProvider provider)
    {
        await using var gallery = await TestGallery.CreateAsync(provider, new Dictionary<string, string?> { ["Gallery:OrphanGracePeriod"] = "00:01:00" });
        var kept = await gallery.Images.AddAsync(alice, Png(1), 4, 4, Made("kept"));
        // What a crash between writing the file and committing its row leaves behind, and an interrupted write.
        var orphan = await gallery.Files.WriteAsync(Png(2));
        var young = await gallery.Files.WriteAsync(Png(3));
        var partial = Path.Combine(gallery.Files.Root, "ab", "x.partial");
        Directory.CreateDirectory(Path.GetDirectoryName(partial)!);
        await File.WriteAllBytesAsync(partial, [1, 2, 3]);
        var old = DateTime.UtcNow.AddHours(-1);
        foreach (var path in Directory.GetFiles(gallery.Files.Root, "*", SearchOption.AllDirectories))
            if (!path.Contains(young)) File.SetLastWriteTimeUtc(path, old);

        Assert.Equal(2, await GalleryStartup.RemoveOrphansAsync(gallery.Services));
        Assert.False(gallery.Files.Exists(orphan));
        Assert.False(File.Exists(partial));
        Assert.True(gallery.Files.Exists(young)); // may belong to a row another server is about to commit
        Assert.Equal(Png(1), await gallery.Images.ReadPngAsync(alice, kept.Id));
    }

    [Theory, MemberData(nameof(Providers))]
    public async Task Adding_and_deleting_the_same_picture_at_once_never_leaves_a_row_without_its_file(GalleryProvider provider)
    {
        await using var gallery = await TestGallery.CreateAsync(provider);
        var png = Png(5);
        var work = Enumerable.Range(0, 24).Select(async i =>
        {
            var image = await gallery.Images.AddAsync(i % 2 == 0 ? alice : bob, png, 4, 4, Made($"copy {i}"));
            if (i % 3 == 0) await gallery.Images.DeleteAsync(image.OwnerId, image.Id);
        });
        await Task.WhenAll(work);
        var left = (await gallery.Images.ListAsync(alice)).Concat(await gallery.Images.ListAsync(bob)).ToList();
        Assert.Equal(16, left.Count);
        foreach (var image in left) Assert.Equal(png, await gallery.Images.ReadPngAsync(image.OwnerId, image.Id));
    }

    [Fact]
    public async Task Changes_are_announced_to_the_owner_s_open_pages()
    {
        await using var gallery = await TestGallery.CreateAsync();
        var heard = new System.Collections.Concurrent.ConcurrentQueue<Guid>();
        using var alicePages = gallery.Notifier.Subscribe(alice, () => { heard.Enqueue(alice); return Task.CompletedTask; });
        var bobPages = gallery.Notifier.Subscribe(bob, () => { heard.Enqueue(bob); return Task.CompletedTask; });
        var image = await gallery.Images.AddAsync(alice, Png(1), 4, 4, Made("x"));
        await gallery.Images.DeleteAsync(bob, image.Id); // not Bob's: nothing changes, nothing is announced
        await gallery.Images.DeleteAsync(alice, image.Id);
        Assert.Equal([alice, alice], heard);
        bobPages.Dispose();
        await gallery.Images.AddAsync(bob, Png(2), 4, 4, Made("y")); // Bob's page has gone: nobody hears it
        Assert.Equal([alice, alice], heard);
    }

    /// <summary>Records with arrays compare by reference; these compare the settings.</summary>
    sealed class ParametersComparer : IEqualityComparer<ImageParameters?>
    {
        public static readonly ParametersComparer Instance = new();
        public bool Equals(ImageParameters? x, ImageParameters? y) => x?.ToJson() == y?.ToJson();
        public int GetHashCode(ImageParameters? p) => p?.ToJson().GetHashCode() ?? 0;
    }
}
