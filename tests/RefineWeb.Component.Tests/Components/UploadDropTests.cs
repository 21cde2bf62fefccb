using Bunit;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RefineWeb.Components.Pages.Home;
using RefineWeb.Engine.Imaging;
using RefineWeb.Gallery;
using RefineWeb.Generation;

namespace RefineWeb.Tests.Components;

/// <summary>The upload drop zone: a square picture is stored at once, another asks to crop or pad first.</summary>
public sealed class UploadDropTests : MudComponentTest, IAsyncLifetime
{
    readonly string model = Directory.CreateTempSubdirectory("refineweb-upload-").FullName;
    readonly Guid owner = Guid.NewGuid();
    TestGallery gallery = null!;

    public async Task InitializeAsync()
    {
        gallery = await TestGallery.CreateAsync();
        Bunit.Services.AddSingleton(gallery.Images).AddSingleton(MudComponentTest.TinyModel(model))
            .AddSingleton(new RefineWeb.Security.CreationLimiter(Options.Create(new RefineWeb.Security.CreationLimits())));
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        await gallery.DisposeAsync();
        Directory.Delete(model, recursive: true);
    }

    /// <summary>A picture of one colour.</summary>
    static byte[] Png(int width, int height, byte grey) => new RgbImage(width, height, Enumerable.Repeat(grey, width * height * 3).ToArray()).ToPng();

    (IRenderedComponent<UploadDrop> Drop, List<StoredImage> Uploaded) Render()
    {
        var uploaded = new List<StoredImage>();
        return (Bunit.Render<UploadDrop>(p => p.Add(x => x.Owner, owner).Add(x => x.OnUploaded, (StoredImage image) => uploaded.Add(image))), uploaded);
    }

    [Fact]
    public async Task A_wide_picture_asks_first_and_pad_stores_it_square_on_white()
    {
        var (drop, uploaded) = Render();
        drop.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(Png(200, 120, 0), "wide.png", contentType: "image/png"));
        drop.WaitForAssertion(() => Assert.Contains("wide.png is 200 x 120 px", drop.Find("[data-testid=fit-choice]").TextContent));
        Assert.Empty(uploaded);
        Assert.Empty(await gallery.Images.ListAsync(owner, 10)); // nothing stored before the choice
        Assert.Contains("200 x 200", drop.Find("[data-testid=fit-pad]").TextContent);
        Assert.Contains("120 x 120", drop.Find("[data-testid=fit-crop]").TextContent);

        drop.Find("[data-testid=fit-pad]").Click();
        drop.WaitForAssertion(() => Assert.Single(uploaded));
        Assert.Equal((200, 200), (uploaded[0].Width, uploaded[0].Height));
        var stored = (await gallery.Images.ReadPngAsync(owner, uploaded[0].Id))!;
        var pixels = ImageUpload.Read(stored).Image!;
        Assert.Equal([255, 255, 255], pixels.Pixels[..3]); // the band above the picture is white
        Assert.Equal([0, 0, 0], pixels.Pixels.AsSpan(3 * (100 * 200 + 100), 3).ToArray()); // the middle is the picture
        Assert.Empty(drop.FindAll("[data-testid=fit-choice]"));
    }

    [Fact]
    public void A_square_picture_is_stored_at_once_and_a_broken_file_is_refused_with_its_name()
    {
        var (drop, uploaded) = Render();
        drop.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(Png(64, 64, 9), "square.png", contentType: "image/png"));
        drop.WaitForAssertion(() => Assert.Single(uploaded));
        Assert.Empty(drop.FindAll("[data-testid=fit-choice]"));

        Assert.Empty(drop.FindAll("[data-testid=upload-rejected]"));

        // A refusal stays in view, marked as one, until the next file: it must not pass for an upload that worked.
        drop.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary([1, 2, 3], "notes.png", contentType: "image/png"));
        drop.WaitForAssertion(() => Assert.Equal("Not uploaded: notes.png: The file is not a PNG, JPEG or WebP image.",
            drop.Find("[data-testid=upload-rejected] .mud-alert-message").TextContent.Trim()));
        Assert.Contains("error", drop.Find("[data-testid=upload-rejected]").ClassName); // styled as an error, not as a file chip
        Assert.Single(uploaded);

        drop.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(Png(64, 64, 20), "again.png", contentType: "image/png"));
        drop.WaitForAssertion(() => Assert.Equal(2, uploaded.Count));
        Assert.Empty(drop.FindAll("[data-testid=upload-rejected]"));
    }
}
