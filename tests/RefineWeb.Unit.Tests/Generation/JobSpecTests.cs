using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Schedulers;
using RefineWeb.Generation.Queueing.Redis;

namespace RefineWeb.Tests.Generation;

/// <summary>A job as a cluster stores it in Redis: its request whole, so another worker runs exactly the same thing.</summary>
public sealed class JobSpecTests
{
    [Fact]
    public void A_refinement_comes_back_from_json_with_its_settings_parsed_prompt_picture_and_masks()
    {
        var mask = new bool[4 * 4];
        mask[5] = mask[6] = true;
        var editable = mask.Select((m, i) => m || i == 7).ToArray();
        var picture = new RgbImage(4, 4, [.. Enumerable.Range(0, 4 * 4 * 3).Select(i => (byte)(i * 5))]);
        var edit = new ImageEdit(EditKind.RefineRegion, "parent", picture, 0.6, mask, editable, 1, [1, 2, 3]);
        var job = TestJobs.Of(Guid.NewGuid(), new GenerationInput { Prompt = "(blue:1.3) heart", NegativePrompt = "red", Steps = [4, 2], Sampler = SamplerKind.Ddim }, [9], edit);

        var json = JobSpec.Of(job).Serialize();
        var copy = JobSpec.Deserialize(json).ToJob();

        Assert.Equal((job.Id, job.Owner, job.CreatedAt), (copy.Id, copy.Owner, copy.CreatedAt));
        var (a, b) = (job.Request, copy.Request);
        Assert.Equal((a.Prompt, a.NegativePrompt, a.Settings.Seed, a.Settings.Sampler), (b.Prompt, b.NegativePrompt, b.Settings.Seed, b.Settings.Sampler));
        Assert.Equal(a.Settings.Steps, b.Settings.Steps);
        Assert.Equal(a.Emphasis.Text, b.Emphasis.Text);
        Assert.Equal(a.Emphasis.Phrases, b.Emphasis.Phrases);
        Assert.Equal((EditKind.RefineRegion, "parent", 0.6, 1), (b.Edit!.Kind, b.Edit.SourceId, b.Edit.Strength, b.Edit.Feather));
        Assert.Equal(picture.Pixels, b.Edit.Source.Pixels);
        Assert.Equal(mask, b.Edit.Mask);
        Assert.Equal(editable, b.Edit.Editable);
        Assert.Equal([1, 2, 3], b.Edit.MaskPng!);
        Assert.Contains("\"sampler\":\"ddim\"", json);
        Assert.Contains("\"kind\":\"refineRegion\"", json);
    }

    [Fact]
    public void A_layouts_regions_travel_with_the_job_to_a_clusters_worker()
    {
        var job = TestJobs.Of(Guid.NewGuid(), new GenerationInput
        {
            Prompt = "hearts",
            Regions = [new RegionInput { Prompt = "red heart", Rect = new RegionRect { X = 0.1, Y = 0.2, Width = 0.3, Height = 0.4 } }],
        }, [5]);
        var copy = JobSpec.Deserialize(JobSpec.Of(job).Serialize()).ToJob();
        var region = Assert.Single(copy.Request.Settings.Regions!);
        Assert.Equal(("red heart", 0.1, 0.2, 0.3, 0.4), (region.Prompt, region.Rect!.X, region.Rect.Y, region.Rect.Width, region.Rect.Height));
        Assert.False(copy.Request.CanShareBatchWith(job.Request)); // a layout runs alone
    }

    [Fact]
    public void The_submitting_span_travels_with_the_job_so_the_workers_spans_join_its_trace()
    {
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == "JobSpecTests",
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        using var source = new System.Diagnostics.ActivitySource("JobSpecTests");
        RefineWeb.Generation.GenerationJob job;
        using (var request = source.StartActivity("POST /api/v1/generations"))
        {
            Assert.NotNull(request);
            job = TestJobs.Of(Guid.NewGuid(), new GenerationInput { Prompt = "red heart" }, [1]);
        }
        Assert.NotEqual(default, job.Submission);

        var copy = JobSpec.Deserialize(JobSpec.Of(job).Serialize()).ToJob();
        Assert.Equal(job.Submission.TraceId, copy.Submission.TraceId);
        Assert.Equal(job.Submission.SpanId, copy.Submission.SpanId);
        Assert.Equal(job.Submission.TraceFlags, copy.Submission.TraceFlags);
        Assert.True(copy.Submission.IsRemote);

        // A job submitted without tracing stores no trace context and comes back without one.
        var untraced = TestJobs.Of(Guid.NewGuid(), new GenerationInput { Prompt = "red heart" }, [1]);
        Assert.DoesNotContain("traceParent", JobSpec.Of(untraced).Serialize());
        Assert.Equal(default, JobSpec.Deserialize(JobSpec.Of(untraced).Serialize()).ToJob().Submission);
    }
}
