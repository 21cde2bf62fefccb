using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Requests;
using RefineWeb.Engine.Schedulers;
using RefineWeb.Engine.Serving;
using RefineWeb.Engine.Text;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Tests.Serving;

public sealed class ImageEngineTests
{
    static ImageRequest Request(GenerationInput input)
    {
        var (request, errors) = ImageRequest.Parse(input, stageCount: 3);
        return request ?? throw new ArgumentException(string.Join(" ", errors.SelectMany(e => e.Value)));
    }

    [Fact]
    public void A_batch_is_one_row_per_image_with_its_own_requests_prompt_negative_emphasis_and_seed_and_the_settings_of_the_first()
    {
        var first = Request(new GenerationInput { Prompt = "(red:1.4) heart", NegativePrompt = "blue", Steps = [7, 2], GuidanceScale = 4, Stages = 2, Count = 2, Seed = 5, Sampler = SamplerKind.Ddim });
        var second = Request(new GenerationInput { Prompt = "(cat:1.2) face", Steps = [7, 2], GuidanceScale = 4, Stages = 2, Seed = 9, Sampler = SamplerKind.Ddim });
        Assert.True(first.CanShareBatchWith(second));

        var request = ImageEngine.PipelineRequest([first, second]);
        Assert.Equal(["red heart", "red heart", "cat face"], request.ItemPrompts!);
        Assert.Equal(["blue", "blue", ""], request.ItemNegativePrompts!);
        Assert.Equal([5L, 6L, 9L], request.Seeds);
        Assert.Equal(("red", 1.4), (request.ItemEmphasis![0].Single().Text, request.ItemEmphasis[0].Single().Weight));
        Assert.Equal(("cat", 1.2), (request.ItemEmphasis[2].Single().Text, request.ItemEmphasis[2].Single().Weight));
        Assert.Equal([7, 2], request.StepsPerStage!);
        Assert.Equal((4.0, 2, SamplerKind.Ddim), (request.GuidanceScale!.Value, request.StageCount!.Value, request.Sampler));
        Assert.Equal("red heart", request.Prompt); // the emphasis syntax is not part of what the model reads
        Assert.Null(request.Region);
        Assert.Null(request.StartImages);
    }

    [Theory]
    [InlineData("sampler")]
    [InlineData("steps")]
    [InlineData("stages")]
    [InlineData("emphasis")]
    [InlineData("edit")]
    public void Requests_that_sample_differently_do_not_share_a_batch(string difference)
    {
        var plain = Request(new GenerationInput { Prompt = "red heart", Seed = 1 });
        var other = difference switch
        {
            "sampler" => Request(new GenerationInput { Prompt = "red heart", Seed = 1, Sampler = SamplerKind.Ddim }),
            "steps" => Request(new GenerationInput { Prompt = "red heart", Seed = 1, Steps = [3] }),
            "stages" => Request(new GenerationInput { Prompt = "red heart", Seed = 1, Stages = 1 }),
            "emphasis" => Request(new GenerationInput { Prompt = "(red:1.5) heart", Seed = 1 }),
            _ => plain with { Edit = new ImageEdit(EditKind.Upscale, "x", new RgbImage(16, 16, new byte[16 * 16 * 3]), 1) },
        };
        Assert.False(plain.CanShareBatchWith(other));
        Assert.False(other.CanShareBatchWith(plain));
        Assert.True(plain.CanShareBatchWith(Request(new GenerationInput { Prompt = "cat face", NegativePrompt = "blue", Seed = 8, Count = 2 })));
    }

    [Fact]
    public void An_upscale_enters_with_its_picture_and_a_region_refinement_carries_its_editable_mask()
    {
        var text = Request(new GenerationInput { Prompt = "red heart", Seed = 3 });
        var picture = new RgbImage(16, 16, [.. Enumerable.Range(0, 16 * 16 * 3).Select(i => (byte)i)]);
        var upscale = ImageEngine.PipelineRequest([text with { Edit = new ImageEdit(EditKind.Upscale, "p", picture, 1) }]);
        Assert.Equal([1L, 3, 16, 16], upscale.StartImages!.shape);

        var editable = new bool[16 * 16];
        editable[5] = true;
        var refine = ImageEngine.PipelineRequest([text with { Edit = new ImageEdit(EditKind.RefineRegion, "p", picture, 0.6, editable, editable) }]);
        Assert.Equal(0.6, refine.Region!.Strength);
        Assert.Equal([16L, 16], refine.Region.Mask.shape);
        Assert.Equal(1, refine.Region.Mask.sum().item<float>());
        Assert.Equal(1f, refine.Region.Mask[0, 5].item<float>());
    }

    [Fact]
    public void Malformed_emphasis_and_every_limit_are_refused_by_the_one_parser_with_the_field_named()
    {
        var (request, errors) = ImageRequest.Parse(new GenerationInput { Prompt = "(blue heart", Count = 9, Steps = [0], Sampler = (SamplerKind)7 }, stageCount: 3);
        Assert.Null(request);
        Assert.Contains("never closed", errors["prompt"].Single());
        Assert.Equal(["count", "prompt", "sampler", "steps"], errors.Keys.Order());
        Assert.Contains("\"dpm-solver++-2m\", \"ddim\"", errors["sampler"].Single());
    }

    [Fact]
    public void A_left_out_seed_is_picked_once_and_kept_by_the_request()
    {
        var (request, _) = ImageRequest.Parse(new GenerationInput { Prompt = "red heart", Count = 3 }, 3, () => 41);
        Assert.Equal([41L, 42, 43], request!.Seeds);
        Assert.Equal(41, request.Settings.Seed);
        Assert.Equal("red heart", request.Emphasis.Text);
    }
}
