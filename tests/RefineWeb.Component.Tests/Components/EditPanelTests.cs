using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using RefineWeb.Components.Pages.Home;
using RefineWeb.Engine.Imaging;
using RefineWeb.Extensions;
using RefineWeb.Gallery;
using RefineWeb.Generation;
using RefineWeb.Generation.Queueing;

namespace RefineWeb.Tests.Components;

/// <summary>The brush-and-refine panel (bUnit; the canvas script is stood in for by bUnit's JS interop).</summary>
public sealed class EditPanelTests : IAsyncLifetime
{
    readonly string model = Directory.CreateTempSubdirectory("refineweb-edit-").FullName;
    readonly BunitContext bunit = new();
    readonly GenerationQueue queue = new(Options.Create(new GenerationOptions()));
    readonly Guid owner = Guid.NewGuid();
    TestGallery gallery = null!;
    BunitJSModuleInterop canvasScript = null!;
    ModelHost host = null!;

    public async Task InitializeAsync()
    {
        gallery = await TestGallery.CreateAsync();
        host = MudComponentTest.TinyModel(model);
        bunit.JSInterop.Mode = JSRuntimeMode.Loose;
        canvasScript = bunit.JSInterop.SetupModule("./js/mask-canvas.js");
        bunit.Services.AddMudServices();
        bunit.Services.AddSingleton(queue).AddSingleton<IGenerationQueue>(queue).AddSingleton(gallery.Images).AddSingleton(host).AddSingleton<GenerationService>()
            .AddSingleton(new RefineWeb.Security.CreationLimiter(Options.Create(new RefineWeb.Security.CreationLimits())));
    }

    public async Task DisposeAsync()
    {
        await bunit.DisposeAsync();
        await gallery.DisposeAsync();
        Directory.Delete(model, recursive: true);
    }

    StoredImage Stored(int width, int height, ImageOrigin origin) => gallery.Images.AddAsync(owner,
        new RgbImage(width, height, new byte[width * height * 3]).ToPng(), width, height, new ImageLineage(origin, Prompt: "red heart")).GetAwaiter().GetResult();

    IRenderedComponent<EditPanel> Render(StoredImage image, List<SubmitResult> submitted)
    {
        Assert.True(host.Model is not null, $"the test model did not load: {host.LoadError}"); // the panel's sizes come from it
        return bunit.Render<EditPanel>(p => p.Add(x => x.Image, image).Add(x => x.OnSubmitted, (SubmitResult r) => submitted.Add(r)));
    }

    [Fact]
    public async Task Refine_needs_paint_and_sends_the_painted_mask()
    {
        var image = Stored(64, 64, ImageOrigin.Generated);
        var mask = new bool[64 * 64];
        for (int i = 0; i < 200; i++) mask[i] = true;
        canvasScript.Setup<string?>("exportMask", _ => true).SetResult("data:image/png;base64," + Convert.ToBase64String(MaskImage.ToPng(mask, 64, 64)));
        var submitted = new List<SubmitResult>();
        var panel = Render(image, submitted);

        Assert.True(panel.Find("[data-testid=refine]").HasAttribute("disabled"), "nothing painted yet");
        var editor = panel.FindComponent<MaskEditor>().Instance;
        await panel.InvokeAsync(() => editor.MaskChanged(6, false, true, false, true));
        panel.WaitForAssertion(() => Assert.False(panel.Find("[data-testid=refine]").HasAttribute("disabled")));
        panel.Find("[data-testid=refine]").Click();

        panel.WaitForAssertion(() => Assert.Single(submitted)); // submitting reads the parent from the gallery first
        var job = submitted[0].Job!;
        Assert.Equal(EditKind.RefineRegion, job.Request.Edit!.Kind);
        Assert.Equal(mask, job.Request.Edit!.Mask);
        Assert.Equal("red heart", job.Request.Settings.Prompt); // the image's own prompt, ready to edit
    }

    [Fact]
    public async Task An_unusable_mask_is_explained_and_nothing_is_queued()
    {
        canvasScript.Setup<string?>("exportMask", _ => true).SetResult("data:image/png;base64," + Convert.ToBase64String(MaskImage.ToPng(new bool[64 * 64], 64, 64)));
        var submitted = new List<SubmitResult>();
        var panel = Render(Stored(64, 64, ImageOrigin.Generated), submitted);
        var editor = panel.FindComponent<MaskEditor>().Instance;
        await panel.InvokeAsync(() => editor.MaskChanged(6, false, true, false, true));
        panel.WaitForAssertion(() => Assert.False(panel.Find("[data-testid=refine]").HasAttribute("disabled")));
        panel.Find("[data-testid=refine]").Click();
        panel.WaitForAssertion(() => Assert.Contains("mask is empty", panel.Find("[data-testid=edit-error]").TextContent));
        Assert.Null(Assert.Single(submitted).Job);
        Assert.Equal(0, queue.Length);
    }

    [Fact]
    public void An_upload_of_another_size_offers_refine_at_size_and_upscale_instead_of_the_brush()
    {
        var submitted = new List<SubmitResult>();
        var panel = Render(Stored(20, 20, ImageOrigin.Uploaded), submitted);
        Assert.Empty(panel.FindAll("[data-testid=mask-editor]"));
        panel.Find("[data-testid=upscale]").Click();
        panel.WaitForAssertion(() => Assert.Single(submitted));
        var job = submitted[0].Job!;
        Assert.Equal(EditKind.Upscale, job.Request.Edit!.Kind);
        Assert.Equal(16, job.Request.Edit!.Source.Width); // enters the cascade at the 16 px stage
        Assert.Equal(3, job.Request.Settings.Stages); // and goes all the way up by default: x4
        Assert.Contains("Upscale x4 to 64 px", panel.Find("[data-testid=upscale]").TextContent);
        // The real path, not only "x4": the 20 px picture is shrunk to the 16 px stage first.
        Assert.Equal("Your 20 px picture is shrunk to 16 px (the stage below its size), then upscaled x4 to 64 px: 20 → 16 → 64 px.",
            panel.Find("[data-testid=upscale-path]").TextContent);
        Assert.NotNull(panel.Find("[data-testid=refine-at-size]"));

        var wide = Render(Stored(40, 20, ImageOrigin.Uploaded), []);
        Assert.StartsWith("Your 40x20 px picture is cut to its centre square and shrunk to 16 px", wide.Find("[data-testid=upscale-path]").TextContent);
    }

    [Fact]
    public async Task The_user_chooses_the_upscale_factor_among_those_the_model_reaches()
    {
        var submitted = new List<SubmitResult>();
        var panel = Render(Stored(16, 16, ImageOrigin.Uploaded), submitted);
        var factor = panel.FindComponent<MudBlazor.MudSelect<int>>();
        Assert.Equal("x4: 16 → 64 px", panel.Find("[data-testid=upscale-factor]").TextContent.Trim());
        Assert.Empty(panel.FindAll("[data-testid=upscale-path]")); // a stage's own size: x4 says it all
        await panel.InvokeAsync(() => factor.Instance.ValueChanged.InvokeAsync(2));
        panel.WaitForAssertion(() => Assert.Contains("Upscale x2 to 32 px", panel.Find("[data-testid=upscale]").TextContent));
        panel.Find("[data-testid=upscale]").Click();
        panel.WaitForAssertion(() => Assert.Single(submitted));
        var job = submitted[0].Job!;
        Assert.Equal(2, job.Request.Settings.Stages); // the 32 px refiner is the last to run
    }

    [Fact]
    public void A_256_px_image_is_shown_smoothly_and_a_64_px_one_with_hard_pixel_edges()
    {
        var small = Render(Stored(20, 20, ImageOrigin.Uploaded), []);
        Assert.Contains("pixelated", small.Find("img").ClassList);
        var large = Render(Stored(300, 200, ImageOrigin.Uploaded), []);
        Assert.Contains("smooth", large.Find("img").ClassList);
    }
}
