using Bunit;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using RefineWeb.Components.Pages.Home;
using RefineWeb.Components.Shared;
using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Text;
using System.Security.Claims;
using RefineWeb.Extensions;
using RefineWeb.Gallery;
using RefineWeb.Generation;
using static TorchSharp.torch;
using RefineWeb.Generation.Queueing;

namespace RefineWeb.Tests.Components;

/// <summary>
/// The generate page on its own (bUnit): validation messages, what is queued, and how engine events render. No engine
/// thread runs here: the tests play the engine's part by publishing events to the queued job.
/// </summary>
public sealed class HomePageTests : IAsyncLifetime
{
    readonly BunitContext bunit = new();
    readonly string model = Directory.CreateTempSubdirectory("refineweb-page-").FullName;
    readonly GenerationQueue queue = new(Options.Create(new GenerationOptions()));
    readonly Guid owner = Guid.NewGuid();
    TestGallery gallery = null!;
    int creationsPerMinute = 30;

    public HomePageTests()
    {
        Engine.Runtime.TorchRuntime.Initialize();
        CascadeBlueprint.Write(model, WordTokenizer.BuildVocabulary(["red heart"]), CascadePreset.Tiny);
        bunit.JSInterop.Mode = JSRuntimeMode.Loose;
        bunit.Services.AddMudServices();
        bunit.Services.AddSingleton(queue).AddSingleton<IGenerationQueue>(queue);
        bunit.AddAuthorization().SetAuthorized("session").SetClaims(new Claim(SessionIdentity.OwnerClaim, owner.ToString()));
    }

    ImageStore images => gallery.Images;

    /// <summary>The page at <paramref name="uri"/> ("/?reuse=..." as the gallery links to it).</summary>
    IRenderedComponent<Home> RenderPage(string modelDirectory, string uri = "/")
    {
        var host = new ModelHost(Options.Create(new ModelOptions { Directory = modelDirectory }),
            new HostingEnvironment { ContentRootPath = model }, NullLogger<ModelHost>.Instance);
        host.Load();
        bunit.Services.AddSingleton(host);
        bunit.Services.AddSingleton(gallery.Images).AddSingleton(gallery.Notifier);
        bunit.Services.AddSingleton<GenerationService>();
        bunit.Services.AddSingleton(new RefineWeb.Security.CreationLimiter(Options.Create(new RefineWeb.Security.CreationLimits { CreationsPerMinute = creationsPerMinute })));
        bunit.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().NavigateTo(uri);
        bunit.Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true)); // a live circuit, not the prerender
        return bunit.Render<Home>();
    }

    static AngleSharp.Dom.IElement PromptBox(IRenderedComponent<Home> page) => page.Find("[data-testid=prompt] textarea, textarea[data-testid=prompt]");

    GenerationJob QueuedJob()
    {
        Assert.Equal(1, queue.Length);
        return Assert.Single(queue.TryTake(int.MaxValue));
    }

    public async Task InitializeAsync() => gallery = await TestGallery.CreateAsync();

    public async Task DisposeAsync()
    {
        await bunit.DisposeAsync(); // MudBlazor's services only dispose asynchronously
        await gallery.DisposeAsync();
        Directory.Delete(model, recursive: true);
    }

    [Fact]
    public void The_page_draws_on_the_same_creation_allowance_as_the_api_and_the_hub()
    {
        creationsPerMinute = 1;
        var page = RenderPage(model);
        // The session's one creation this minute went elsewhere (the API's filter and the hub take from this bucket).
        Assert.True(bunit.Services.GetRequiredService<RefineWeb.Security.CreationLimiter>().TryAcquire(owner).Allowed);
        PromptBox(page).Input("red heart");
        page.Find("[data-testid=generate]").Click();
        var snackbar = bunit.Services.GetRequiredService<MudBlazor.ISnackbar>();
        page.WaitForAssertion(() => Assert.Contains(snackbar.ShownSnackbars, s => s.Message?.Contains("You may create 1 item a minute") == true));
        Assert.Equal(0, queue.Length);
    }

    [Fact]
    public async Task An_image_made_in_another_tab_of_the_session_joins_the_recent_strip_and_another_session_s_does_not()
    {
        var page = RenderPage(model);
        Assert.Empty(page.FindAll("[data-testid=thumbnail]"));
        await images.AddAsync(Guid.NewGuid(), new RgbImage(64, 64, new byte[64 * 64 * 3]).ToPng(), 64, 64, new ImageLineage(ImageOrigin.Generated, Prompt: "not ours"));
        await images.AddAsync(owner, new RgbImage(64, 64, new byte[64 * 64 * 3]).ToPng(), 64, 64, new ImageLineage(ImageOrigin.Generated, Prompt: "red heart"));
        page.WaitForAssertion(() => Assert.Equal(["Brush and refine: red heart"], page.FindAll("[data-testid=thumbnail] img").Select(i => i.GetAttribute("alt"))));
    }

    [Fact]
    public void An_empty_prompt_shows_a_message_and_queues_nothing()
    {
        var page = RenderPage(model);
        page.Find("[data-testid=generate]").Click();
        Assert.Contains("Type a prompt", page.Markup);
        Assert.Equal(0, queue.Length);
    }

    [Fact]
    public void An_over_long_prompt_shows_its_length_and_queues_nothing()
    {
        var page = RenderPage(model);
        PromptBox(page).Input(new string('a', GenerationLimits.MaxPromptLength + 1));
        page.Find("[data-testid=generate]").Click();
        Assert.Contains($"at most {GenerationLimits.MaxPromptLength}", page.Markup);
        Assert.Equal(0, queue.Length);
    }

    [Fact]
    public void Unknown_words_are_marked_with_suggestions_that_replace_them_and_the_model_says_what_it_draws()
    {
        var page = RenderPage(model);
        PromptBox(page).Input("(red:1.5) hearts qwzx");
        var unknown = page.FindAll("[data-testid=emphasis-word][data-unknown=true]").Select(w => w.TextContent).ToList();
        Assert.Equal(["hearts", "qwzx"], unknown);
        Assert.Contains("'hearts' is not a word the model knows", page.Find("[data-testid=emphasis-word][data-unknown=true]").GetAttribute("title"));
        var list = page.Find("[data-testid=unknown-words]");
        Assert.Contains("qwzx (no word it knows is close in meaning or spelling)", list.TextContent);
        Assert.Contains("hearts similar spelling: heart", list.TextContent);
        var suggestion = page.Find("[data-testid=suggestion]");
        Assert.Equal("heart", suggestion.TextContent);
        suggestion.Click();
        Assert.Equal("(red:1.5) heart qwzx", PromptBox(page).GetAttribute("value") ?? PromptBox(page).TextContent);
        Assert.Equal(["qwzx"], page.FindAll("[data-testid=emphasis-word][data-unknown=true]").Select(w => w.TextContent));
        PromptBox(page).Input("red heart");
        Assert.Empty(page.FindAll("[data-testid=unknown-words]"));
        Assert.DoesNotContain("This model draws", page.Markup); // a blueprint has no description (the shipped model's test reads it)
    }

    [Fact]
    public void Ctrl_enter_queues_the_prompt_with_the_page_settings()
    {
        var page = RenderPage(model);
        PromptBox(page).Input("red heart");
        PromptBox(page).KeyDown(new KeyboardEventArgs { Key = "Enter", CtrlKey = true });
        var job = QueuedJob();
        Assert.Equal("red heart", job.Request.Settings.Prompt);
        Assert.Null(job.Request.Settings.Stages); // untouched: every stage, as the API's default
        Assert.Null(job.Request.Settings.Steps);
        Assert.Single(job.Seeds);
    }

    [Fact]
    public void Step_events_render_the_stage_progress_and_a_crisp_preview_then_the_download_link()
    {
        var page = RenderPage(model);
        PromptBox(page).Input("red heart");
        page.Find("[data-testid=generate]").Click();
        var job = QueuedJob();

        job.Publish(job.Latest with { QueuePosition = 2, JobsAhead = 2 });
        page.WaitForAssertion(() => Assert.Contains("Queued: 2 ahead of you", page.Markup));

        byte[] png;
        using (var red = ScalarArguments.Full([3, 16, 16], 0.0).index_put_(tensor(1.0f), 0)) png = ImageTensor.ToPng(red);
        job.Publish(new GenerationEvent
        {
            JobId = job.Id, Status = GenerationStatus.Running, StageIndex = 0, StageCount = 3, StageName = "base", Resolution = 16,
            Step = 3, TotalSteps = 20, Progress = 0.05, Previews = [png],
        });
        page.WaitForAssertion(() => Assert.Contains("base (16 px): step 3/20", page.Markup));
        var preview = page.Find("img[data-testid=preview]");
        Assert.Equal("data:image/png;base64," + Convert.ToBase64String(png), preview.GetAttribute("src"));
        var frame = page.Find("[data-testid=picture-frame]"); // sized at a whole multiple of its 16 px; the picture fills it
        Assert.Contains(PictureClass.Whole, frame.ClassList);
        Assert.Equal("--side: 16px", frame.GetAttribute("style"));
        Assert.True(page.Find("[data-testid=generate]").HasAttribute("disabled"), "Generate is off while running");

        job.Publish(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Succeeded, Progress = 1, ImageIds = ["abc123"] });
        page.WaitForAssertion(() => Assert.Contains($"seed {job.Seeds[0]}", page.Markup));
        Assert.Contains("Done in", page.Markup);
        Assert.Equal("/api/v1/images/abc123.png", page.Find("a[download]").GetAttribute("href"));
        Assert.Equal("/api/v1/images/abc123.png", page.Find("img[data-testid=preview]").GetAttribute("src"));
        Assert.False(page.Find("[data-testid=generate]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task A_refined_result_shows_its_parent_and_mask_and_goes_back_to_the_parent()
    {
        var page = RenderPage(model);
        PromptBox(page).Input("red heart");
        page.Find("[data-testid=generate]").Click();
        var job = QueuedJob();
        var parent = new RgbImage(64, 64, new byte[64 * 64 * 3]);
        var parentId = (await images.AddAsync(owner, parent.ToPng(), 64, 64, new ImageLineage(ImageOrigin.Generated, Prompt: "red heart"))).Id;
        var mask = MaskImage.ToPng([.. Enumerable.Range(0, 64 * 64).Select(i => i < 100)], 64, 64);
        var childId = (await images.AddAsync(owner, parent.ToPng(), 64, 64, new ImageLineage(ImageOrigin.Refined, parentId, mask, "blue heart"))).Id;
        job.Publish(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Succeeded, Progress = 1, ImageIds = [childId] });

        page.WaitForAssertion(() => Assert.Contains("Refined from", page.Find("[data-testid=lineage]").TextContent));
        var thumbs = page.FindAll("[data-testid=lineage] img");
        Assert.Equal($"/api/v1/images/{parentId}.png", thumbs[0].GetAttribute("src"));
        Assert.Equal($"/api/v1/images/{childId}/mask.png", thumbs[1].GetAttribute("src"));
        thumbs[0].Click(); // back to the parent, in the editor
        page.WaitForAssertion(() => Assert.Contains($"/api/v1/images/{parentId}.png", page.Find("[data-testid=mask-editor] img").GetAttribute("src")));
    }

    [Fact]
    public async Task Reuse_from_the_gallery_fills_the_form_with_the_image_s_settings_and_generate_queues_them()
    {
        var parameters = new ImageParameters { Prompt = "blue heart", NegativePrompt = "red", Seed = 4242, Steps = [7, 5, 3], GuidanceScale = 2.5, Stages = 3, Width = 64, Height = 64,
            Sampler = Engine.Schedulers.SamplerKind.Ddim };
        var image = await images.AddAsync(owner, new RgbImage(64, 64, new byte[64 * 64 * 3]).ToPng(), 64, 64, new ImageLineage(ImageOrigin.Generated, Prompt: "blue heart"), parameters);
        var page = RenderPage(model, $"/?reuse={image.Id}");
        page.WaitForAssertion(() => Assert.Equal("blue heart", PromptBox(page).GetAttribute("value") ?? PromptBox(page).TextContent));
        page.Find("[data-testid=generate]").Click();
        var job = QueuedJob();
        Assert.Equal(("blue heart", "red", 4242L), (job.Request.Settings.Prompt, job.Request.Settings.NegativePrompt, job.Seeds[0]));
        Assert.Equal([2.5, 2.5, 2.5], job.Request.Settings.GuidanceScales!); // that image's one scale, now set on every stage
        Assert.Equal([7, 5, 3], job.Request.Settings.Steps!);
        Assert.Equal(Engine.Schedulers.SamplerKind.Ddim, job.Request.Settings.Sampler); // carried whole: the form has no code for it
        Assert.Contains("ddim", page.Find("[data-testid=sampler]").OuterHtml);
        Assert.Equal(owner, job.Owner);
    }

    [Fact]
    public async Task Refine_from_the_gallery_opens_the_image_in_the_editor_but_not_another_session_s()
    {
        var mine = await images.AddAsync(owner, new RgbImage(64, 64, new byte[64 * 64 * 3]).ToPng(), 64, 64, new ImageLineage(ImageOrigin.Generated, Prompt: "red heart"));
        var theirs = await images.AddAsync(Guid.NewGuid(), new RgbImage(64, 64, new byte[64 * 64 * 3]).ToPng(), 64, 64, new ImageLineage(ImageOrigin.Generated, Prompt: "cat face"));
        var page = RenderPage(model, $"/?edit={theirs.Id}");
        var snackbar = bunit.Services.GetRequiredService<MudBlazor.ISnackbar>();
        page.WaitForAssertion(() => Assert.Contains(snackbar.ShownSnackbars, s => s.Message!.Contains("no longer in your gallery")));
        Assert.Empty(page.FindAll("[data-testid=mask-editor]"));
        page.Dispose();

        bunit.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().NavigateTo($"/?edit={mine.Id}");
        var again = bunit.Render<Home>();
        again.WaitForAssertion(() => Assert.Contains($"/api/v1/images/{mine.Id}.png", again.Find("[data-testid=mask-editor] img").GetAttribute("src")));
    }

    [Fact]
    public void Cancel_and_leaving_the_page_cancel_the_job()
    {
        var page = RenderPage(model);
        PromptBox(page).Input("red heart");
        page.Find("[data-testid=generate]").Click();
        var job = QueuedJob();
        job.Publish(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Running });
        // Click only once the page has rendered the running state, so the click is not on a render about to be replaced.
        page.WaitForAssertion(() => Assert.Contains("Encoding the prompt", page.Markup));
        page.Find("[data-testid=cancel]").Click();
        page.WaitForAssertion(() => Assert.True(job.CancellationToken.IsCancellationRequested));
    }

    [Fact]
    public void A_cancelled_job_says_where_it_stopped_keeps_its_bar_there_and_greys_its_last_estimate()
    {
        var page = RenderPage(model);
        PromptBox(page).Input("red heart");
        page.Find("[data-testid=generate]").Click();
        var job = QueuedJob();
        byte[] png;
        using (var red = ScalarArguments.Full([3, 16, 16], 0.0).index_put_(tensor(1.0f), 0)) png = ImageTensor.ToPng(red);
        job.Publish(new GenerationEvent
        {
            JobId = job.Id, Status = GenerationStatus.Running, StageIndex = 0, StageCount = 3, StageName = "base", Resolution = 16,
            Step = 9, TotalSteps = 20, Progress = 0.4, Previews = [png],
        });
        job.Publish(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Cancelled }); // as the worker says it
        page.WaitForAssertion(() => Assert.Contains("Cancelled at base (16 px), step 9/20", page.Markup));
        Assert.Equal(0.4, job.Latest.Progress);
        Assert.Contains("stopped", page.Find("[data-testid=previews]").ClassList);
        Assert.Equal("40", page.Find("[data-testid=progress-bar]").GetAttribute("aria-valuenow"));
        Assert.Contains("color-warning", page.Find("[data-testid=progress-bar]").ClassName);
        Assert.False(page.Find("[data-testid=generate]").HasAttribute("disabled"));
    }

    [Fact]
    public void A_fixed_prompt_loses_its_error_as_soon_as_it_is_typed()
    {
        var page = RenderPage(model);
        PromptBox(page).Input("(red heart");
        page.Find("[data-testid=generate]").Click();
        page.WaitForAssertion(() => Assert.Equal("true", PromptBox(page).GetAttribute("aria-invalid")));
        Assert.Equal(0, queue.Length);
        PromptBox(page).Input("(red) heart");
        page.WaitForAssertion(() => Assert.Equal("false", PromptBox(page).GetAttribute("aria-invalid")));
    }

    /// <summary>What the "stop at" box shows: its default, every stage of the model.</summary>
    static string StopAtShown(IRenderedComponent<Home> page) => page.Find("[data-testid=stop-at]").TextContent.Trim();

    [Fact]
    public void Stop_at_and_the_step_sliders_follow_a_three_stage_model()
    {
        var page = RenderPage(model);
        Assert.Equal("64 px (all stages)", StopAtShown(page));
        Assert.Contains("Steps, 64 px:", page.Markup);
        Assert.DoesNotContain("Steps, 128 px:", page.Markup);
    }

    [Fact]
    public void The_shipped_five_stage_model_offers_every_size_to_256_px_and_runs_all_of_them_with_each_stage_s_own_guidance()
    {
        var page = RenderPage(Path.Combine(RefineWebFactory.RepositoryRoot, "models", "emoji-cascade-v1"));
        Assert.Equal("256 px (all stages)", StopAtShown(page));
        Assert.Contains("Steps, 256 px:", page.Markup);
        Assert.Contains("This model draws emoji: objects, animals, food, faces and symbols", page.Markup);
        PromptBox(page).Input("red heart");
        page.Find("[data-testid=generate]").Click();
        var job = QueuedJob();
        // Untouched, the page asks what an API call with only a prompt asks: every stage, each with its own steps and guidance.
        Assert.Equal((null, null, null, null), (job.Request.Settings.Stages, job.Request.Settings.Steps, job.Request.Settings.GuidanceScale, job.Request.Settings.GuidanceScales));
        Assert.Equal(Engine.Schedulers.SamplerKind.DpmSolverPlusPlus2M, job.Request.Settings.Sampler);
    }

    [Fact]
    public void A_word_the_shipped_model_does_not_know_gets_known_words_close_in_meaning_not_in_spelling()
    {
        var page = RenderPage(Path.Combine(RefineWebFactory.RepositoryRoot, "models", "emoji-cascade-v1"));
        PromptBox(page).Input("a sofa on a hill");
        var lines = page.FindAll("[data-testid=unknown-words] .unknown-word-line").ToDictionary(l => l.QuerySelector("strong")!.TextContent);
        Assert.Equal(["sofa", "hill"], lines.Keys);
        Assert.Contains("close in meaning", lines["hill"].TextContent);
        var offered = lines["hill"].QuerySelectorAll("[data-testid=suggestion]").Select(b => b.TextContent).ToList();
        Assert.Contains("mountain", offered); // by spelling it was bill, pill, ill
        Assert.DoesNotContain("bill", offered);
        lines["sofa"].QuerySelectorAll("[data-testid=suggestion]").Single(b => b.TextContent == "couch").Click();
        Assert.Equal("a couch on a hill", PromptBox(page).GetAttribute("value") ?? PromptBox(page).TextContent);
    }

    [Fact]
    public void A_missing_model_is_explained_on_the_page()
    {
        var page = RenderPage(Path.Combine(model, "nowhere"));
        var status = page.Find("[data-testid=model-status]");
        Assert.Contains("cascade.json", status.TextContent);
        Assert.Contains("refineweb train", status.TextContent);
    }
}
