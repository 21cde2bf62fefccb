using RefineWeb.Engine.Imaging;
using RefineWeb.Generation;
using SkiaSharp;

namespace RefineWeb.Tests.Generation;

/// <summary>The shipped five-stage model at its full size, through the REST API: uploads at 256 px and an upscale to 256 px.</summary>
public sealed class ShippedModelApiTests(ShippedModelApp app) : IClassFixture<ShippedModelApp>
{
    [Fact]
    public async Task A_256_px_upload_is_brushed_and_refined_at_its_size_with_everything_outside_the_mask_kept()
    {
        var parentPng = ShippedModelApp.Disc(256);
        var parentId = await app.UploadAsync(parentPng);
        var mask = new bool[256 * 256];
        for (int y = 100; y < 156; y++) for (int x = 100; x < 156; x++) mask[y * 256 + x] = true;
        var refined = (await app.RunAsync("/api/v1/refinements", new
        {
            parentImageId = parentId, mask = MaskImage.ToPng(mask, 256, 256), prompt = "blue heart", seed = 3, feather = 0,
        }))[0];

        using var parentBitmap = SKBitmap.Decode(parentPng);
        using var result = SKBitmap.Decode(refined);
        Assert.Equal((256, 256), (result.Width, result.Height));
        int changed = 0;
        for (int y = 0; y < 256; y++)
            for (int x = 0; x < 256; x++)
            {
                bool same = parentBitmap.GetPixel(x, y) == result.GetPixel(x, y);
                if (!mask[y * 256 + x]) Assert.True(same, $"pixel {x},{y} outside the mask changed");
                else if (!same) changed++;
            }
        Assert.True(changed > 500, $"{changed} masked pixels changed");
    }

    [Fact]
    public async Task A_32_px_upload_is_upscaled_x8_to_256_px()
    {
        var id = await app.UploadAsync(ShippedModelApp.Disc(32));
        using var result = SKBitmap.Decode((await app.RunAsync("/api/v1/upscales", new { imageId = id, prompt = "red circle", seed = 1 }))[0]);
        Assert.Equal((256, 256), (result.Width, result.Height));
        // Still the red disc on white: the refiners add detail, not a different picture.
        var centre = result.GetPixel(128, 128);
        var corner = result.GetPixel(4, 4);
        Assert.True(centre.Red > 180 && centre.Green < 90 && centre.Blue < 90, $"centre {centre}");
        Assert.True(corner.Red > 200 && corner.Green > 200 && corner.Blue > 200, $"corner {corner}");
    }
}
