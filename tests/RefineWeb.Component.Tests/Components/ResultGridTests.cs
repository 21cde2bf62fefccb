using Bunit;
using RefineWeb.Components.Pages.Home;
using RefineWeb.Engine.Requests;
using RefineWeb.Gallery;
using RefineWeb.Generation;

namespace RefineWeb.Tests.Components;

public sealed class ResultGridTests : MudComponentTest
{
    static JobView Finished(params string[] ids)
    {
        var job = TestJobs.Of(Guid.NewGuid(), new GenerationInput { Prompt = "(red:1.5) heart" }, [.. ids.Select((_, i) => 10L + i)]);
        var view = new JobView();
        view.Start(job, DateTimeOffset.UnixEpoch);
        view.Apply(new GenerationEvent
        {
            JobId = job.Id, Status = GenerationStatus.Succeeded, Progress = 1, ImageIds = ids,
            Scores = [.. ids.Select((_, i) => new ImageScore(0.7 - i * 0.3, [new PhraseScore("red", 1.5, 0.5)], i + 1))],
        }, DateTimeOffset.UnixEpoch, _ => 64);
        return view;
    }

    [Fact]
    public void Results_show_their_rank_scores_in_words_download_and_pick()
    {
        var brushed = new List<string>();
        var picked = new List<string>();
        var grid = Bunit.Render<ResultGrid>(p => p.Add(x => x.Job, Finished("a", "b")).Add(x => x.Picked, "b").Add(x => x.Calibration, ScoreLineTests.Calibration)
            .Add(x => x.OnBrush, (string id) => brushed.Add(id)).Add(x => x.OnPick, (string id) => picked.Add(id)));
        Assert.Equal(["/api/v1/images/a.png", "/api/v1/images/b.png"], grid.FindAll("img[data-testid=preview]").Select(i => i.GetAttribute("src")));
        Assert.Equal(["Best match", "#2"], grid.FindAll("[data-testid=rank]").Select(r => r.TextContent));
        Assert.Contains("(0.70)", grid.FindAll("[data-testid=prompt-match]")[0].TextContent);
        Assert.Contains("red ×1.5", grid.FindAll("[data-testid=phrase-score]")[0].TextContent);
        Assert.Contains("not-picked", grid.FindAll(".preview-cell")[0].ClassName); // b is kept, a fades
        Assert.Equal("refineweb-11.png", grid.FindAll("a[download]")[1].GetAttribute("download")); // the second image's own seed

        grid.FindAll("[data-testid=pick]")[0].Click();
        grid.FindAll("[data-testid=brush]")[1].Click();
        Assert.Equal(["a"], picked);
        Assert.Equal(["b"], brushed);
    }

    [Fact]
    public void A_refinement_shows_its_parent_as_a_button_and_its_mask_on_a_dark_square()
    {
        var opened = new List<string>();
        var child = new StoredImage("c", Guid.Empty, 64, 64, ImageOrigin.Refined, "p", true, "blue heart", null, DateTimeOffset.UnixEpoch);
        var grid = Bunit.Render<ResultGrid>(p => p.Add(x => x.Job, Finished("c"))
            .Add(x => x.Finished, new Dictionary<string, StoredImage> { ["c"] = child }).Add(x => x.OnBrush, (string id) => opened.Add(id)));
        Assert.Contains("Refined from", grid.Find("[data-testid=lineage]").TextContent);
        Assert.Empty(grid.FindAll("[data-testid=pick]")); // one image: nothing to pick between
        Assert.Equal("/api/v1/images/c/mask.png", grid.Find("img.mask-thumb").GetAttribute("src"));
        grid.Find("[data-testid=lineage] .lineage-button").Click();
        Assert.Equal(["p"], opened);

        // Before and after, in place: the parent shown where the result is, and back.
        Assert.Equal("/api/v1/images/c.png", grid.Find("img[data-testid=preview]").GetAttribute("src"));
        grid.Find("[data-testid=before-after]").Click();
        Assert.Equal("/api/v1/images/p.png", grid.Find("img[data-testid=preview]").GetAttribute("src"));
        Assert.Equal("true", grid.Find("[data-testid=before-after]").GetAttribute("aria-pressed"));
        Assert.Equal("Show after", grid.Find("[data-testid=before-after]").TextContent.Trim());
        grid.Find("[data-testid=before-after]").Click();
        Assert.Equal("/api/v1/images/c.png", grid.Find("img[data-testid=preview]").GetAttribute("src"));
    }

    static JobView Scored(params (string Id, double Prompt, int Rank)[] images)
    {
        var job = TestJobs.Of(Guid.NewGuid(), new GenerationInput { Prompt = "red heart" }, [.. images.Select((_, i) => 10L + i)]);
        var view = new JobView();
        view.Start(job, DateTimeOffset.UnixEpoch);
        view.Apply(new GenerationEvent
        {
            JobId = job.Id, Status = GenerationStatus.Succeeded, Progress = 1, ImageIds = [.. images.Select(i => i.Id)],
            Scores = [.. images.Select(i => new ImageScore(i.Prompt, [], i.Rank))],
        }, DateTimeOffset.UnixEpoch, _ => 64);
        return view;
    }

    [Fact]
    public void The_best_match_comes_first_and_candidates_within_the_noise_are_not_ranked()
    {
        var ranked = Bunit.Render<ResultGrid>(p => p.Add(x => x.Job, Scored(("a", 0.60, 2), ("b", 0.80, 1))).Add(x => x.Calibration, ScoreLineTests.Calibration));
        Assert.Equal(["/api/v1/images/b.png", "/api/v1/images/a.png"], ranked.FindAll("img[data-testid=preview]").Select(i => i.GetAttribute("src")));
        Assert.Equal(["Best match", "#2"], ranked.FindAll("[data-testid=rank]").Select(r => r.TextContent));
        Assert.Equal("refineweb-11.png", ranked.FindAll("a[download]")[0].GetAttribute("download")); // b keeps its own seed
        Assert.Empty(ranked.FindAll("[data-testid=equally-good]"));

        // Four hearts at 0.79, 0.79, 0.80, 0.80: no ranks, said once, in the order they were made.
        var even = Bunit.Render<ResultGrid>(p => p.Add(x => x.Job, Scored(("a", 0.79, 3), ("b", 0.79, 4), ("c", 0.80, 1), ("d", 0.80, 2)))
            .Add(x => x.Calibration, ScoreLineTests.Calibration));
        Assert.Empty(even.FindAll("[data-testid=rank]"));
        Assert.Contains("match about equally well", even.Find("[data-testid=equally-good]").TextContent);
        Assert.Equal(["a", "b", "c", "d"], even.FindAll("img[data-testid=preview]").Select(i => i.GetAttribute("src")!.Split('/')[^1][..1]));
    }

    [Fact]
    public void A_layouts_regions_can_be_drawn_over_the_pictures()
    {
        var job = TestJobs.Of(Guid.NewGuid(), new GenerationInput
        {
            Prompt = "heart",
            Regions = [new RegionInput { Prompt = "red heart", Rect = new RegionRect { X = 0, Y = 0, Width = 0.5, Height = 1 } },
                new RegionInput { Prompt = "blue heart", Rect = new RegionRect { X = 0.5, Y = 0, Width = 0.5, Height = 1 } }],
        }, [3]);
        var view = new JobView();
        view.Start(job, DateTimeOffset.UnixEpoch);
        view.Apply(new GenerationEvent { JobId = job.Id, Status = GenerationStatus.Succeeded, Progress = 1, ImageIds = ["a"] }, DateTimeOffset.UnixEpoch, _ => 64);
        var grid = Bunit.Render<ResultGrid>(p => p.Add(x => x.Job, view));
        Assert.Empty(grid.FindAll("[data-testid=region-outlines]"));

        grid.Find("[data-testid=show-regions]").Click();
        var rects = grid.FindAll("[data-testid=region-outlines] rect");
        Assert.Equal([("0", "50"), ("50", "50")], rects.Select(r => (r.GetAttribute("x")!, r.GetAttribute("width")!)));
        Assert.Equal("true", grid.Find("[data-testid=show-regions]").GetAttribute("aria-pressed"));

        // A job without a layout offers nothing of the kind.
        Assert.Empty(Bunit.Render<ResultGrid>(p => p.Add(x => x.Job, Finished("b"))).FindAll("[data-testid=show-regions]"));
    }
}
