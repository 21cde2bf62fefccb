using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Pipelines.Cascade;
using RefineWeb.Engine.Pipelines.Hooks;
using RefineWeb.Engine.Runtime;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Tests.Pipelines;

/// <summary>Brush and re-refine: what is outside the mask stays, what is inside changes.</summary>
[Collection(nameof(ProcessWideState))]
public sealed class RefinementTests(TinyModelFixture fixture) : IClassFixture<TinyModelFixture>
{
    CascadePipeline Pipeline => new(fixture.Model);

    RgbImage Parent(int stages = 3)
    {
        using var image = Pipeline.Generate(new CascadeRequest { Prompt = "red heart", Seeds = [3], StageCount = stages });
        return ImageTensor.ToRgb(image[0]);
    }

    static bool[] RandomBlocks(int size, int seed)
    {
        var random = new Random(seed);
        var mask = new bool[size * size];
        for (int block = 0; block < 3; block++)
        {
            int x0 = random.Next(size - 8), y0 = random.Next(size - 8), w = random.Next(4, 16), h = random.Next(4, 16);
            for (int y = y0; y < Math.Min(size, y0 + h); y++)
                for (int x = x0; x < Math.Min(size, x0 + w); x++) mask[y * size + x] = true;
        }
        return mask;
    }

    RgbImage Refine(RgbImage parent, bool[] mask, double strength, long seed, string prompt = "blue heart")
    {
        using var parentTensor = ImageTensor.FromBitmap(parent.ToBitmap());
        using var maskTensor = tensor(mask.Select(m => m ? 1f : 0f).ToArray(), [parent.Height, parent.Width]);
        using var result = Pipeline.Refine(new RefinementRequest { Prompt = prompt, Seed = seed, Parent = parentTensor, Mask = maskTensor, Strength = strength });
        return ImageTensor.ToRgb(result[0]);
    }

    [Theory]
    [InlineData(0.3, 1)]
    [InlineData(0.6, 2)]
    [InlineData(1.0, 3)]
    public void With_no_feather_every_pixel_outside_the_mask_is_the_parent_s_byte_for_byte_and_the_inside_changes(double strength, int seed)
    {
        var parent = Parent();
        var mask = RandomBlocks(64, seed);
        var result = MaskCompositor.Composite(parent, Refine(parent, mask, strength, seed), mask, feather: 0);

        int changedInside = 0;
        for (int p = 0; p < mask.Length; p++)
        {
            var before = parent.Pixels.AsSpan(3 * p, 3);
            var after = result.Pixels.AsSpan(3 * p, 3);
            if (!mask[p]) Assert.True(before.SequenceEqual(after), $"pixel {p % 64},{p / 64} outside the mask changed");
            else if (!before.SequenceEqual(after)) changedInside++;
        }
        Assert.True(changedInside > mask.Count(m => m) / 4, $"only {changedInside} of {mask.Count(m => m)} masked pixels changed");
    }

    sealed class PassCounter : IStepHook
    {
        public int Passes;
        public Tensor BeforeSamplerStep(SamplingContext context, int step, Tensor sample, Tensor output) { Passes++; return output; }
    }

    [Fact]
    public void Resampling_takes_every_step_but_the_last_again_keeps_the_outside_and_changes_the_inside()
    {
        var stage = fixture.Model.Stages[0];
        int size = stage.Config.Resolution;
        using var scope = NewDisposeScope();
        var parent = Pipeline.Generate(new CascadeRequest { Prompt = "red heart", Seeds = [3], StageCount = 1 });
        var keep = ones(1, 1, size, size);
        keep[.., .., 2..(size / 2), 2..(size / 2)] = 0;
        var tokens = fixture.Model.Tokenize(["blue heart", ""]);
        (Tensor Image, int Previews, int Passes) Run(int timesPerStep)
        {
            using var generator = new Generator(5);
            var counter = new PassCounter();
            int previews = 0;
            var image = StageSampling.Run(stage, tokens, null, [generator], new StageSamplingSettings(6, 2.0), (_, _, _) => previews++,
                hooks: [new KnownRegionHook(parent, keep, 0.8, timesPerStep), counter]);
            return (image, previews, counter.Passes);
        }
        var plain = Run(1);
        var resampled = Run(2);
        Assert.Equal(plain.Previews, plain.Passes);
        Assert.Equal(plain.Previews, resampled.Previews); // the page's progress counts steps, not passes
        Assert.Equal(2 * (plain.Previews - 1) + 1, resampled.Passes);
        var outside = keep.expand(1, 3, size, size).GreaterThan(0);
        Assert.True((resampled.Image - parent).abs().masked_select(outside).max().item<float>() < 1e-5, "the kept region moved");
        Assert.True((resampled.Image - plain.Image).abs().masked_select(outside.logical_not()).max().item<float>() > 0.05, "resampling changed nothing inside");
        Assert.True(Run(2).Image.allclose(resampled.Image, 0, 0), "the same seed resampled twice differs");
    }

    [Fact]
    public void Refiners_start_a_region_where_the_model_says_and_keep_closer_to_the_parent_from_less_noise()
    {
        var parent = Parent();
        var mask = RandomBlocks(64, 4);
        using var scope = NewDisposeScope();
        var parentTensor = ImageTensor.FromBitmap(parent.ToBitmap());
        var maskTensor = tensor(mask.Select(m => m ? 1f : 0f).ToArray(), [64, 64]);
        RgbImage Refine(double? refinerStrength) => ImageTensor.ToRgb(Pipeline.Generate(new CascadeRequest
        {
            Prompt = "blue heart", Seeds = [4], Region = new RepaintRegion(parentTensor, maskTensor, 0.9, RefinerStrength: refinerStrength),
        })[0]);
        double InsideDistance(RgbImage image) =>
            Enumerable.Range(0, mask.Length).Where(p => mask[p]).Average(p => Enumerable.Range(0, 3).Average(c => Math.Abs(image.Pixels[3 * p + c] - parent.Pixels[3 * p + c])));
        var fromTheRegionsStrength = Refine(0.9);
        var fromLittleNoise = Refine(0.1);
        Assert.True(InsideDistance(fromLittleNoise) < InsideDistance(fromTheRegionsStrength),
            $"from little noise {InsideDistance(fromLittleNoise):F1} levels, from the region's strength {InsideDistance(fromTheRegionsStrength):F1}");
        // The tiny model's manifest sets none: its refiners start at the region's strength.
        Assert.Null(fixture.Model.Manifest.RegionRefinerStrength);
        Assert.Equal(fromTheRegionsStrength.Pixels, Refine(null).Pixels);
    }

    [Fact]
    public void The_sampler_itself_keeps_the_outside_to_within_rounding_before_the_composite()
    {
        var parent = Parent();
        var mask = RandomBlocks(64, 7);
        var raw = Refine(parent, mask, 0.8, 7);
        for (int p = 0; p < mask.Length; p++)
            if (!mask[p])
                for (int c = 0; c < 3; c++) Assert.InRange(Math.Abs(raw.Pixels[3 * p + c] - parent.Pixels[3 * p + c]), 0, 1);
    }

    [Fact]
    public void With_a_feather_only_pixels_within_the_band_may_change()
    {
        var parent = Parent();
        var mask = new bool[64 * 64];
        for (int y = 20; y < 40; y++)
            for (int x = 24; x < 44; x++) mask[y * 64 + x] = true;
        const int feather = 3;
        var result = MaskCompositor.Composite(parent, Refine(parent, MaskCompositor.Editable(mask, 64, 64, feather), 0.7, 4), mask, feather);
        var weights = MaskCompositor.Weights(mask, 64, 64, feather);
        bool bandChanged = false;
        for (int p = 0; p < mask.Length; p++)
        {
            bool same = parent.Pixels.AsSpan(3 * p, 3).SequenceEqual(result.Pixels.AsSpan(3 * p, 3));
            if (weights[p] == 0) Assert.True(same, $"pixel {p % 64},{p / 64} beyond the feather band changed");
            if (!mask[p] && weights[p] > 0 && !same) bandChanged = true;
        }
        Assert.True(bandChanged, "the feather band blends");
        Assert.Equal(0, weights[20 * 64 + 24 - feather - 1]); // one past the band
        Assert.True(weights[20 * 64 + 24 - feather] > 0);
    }

    [Fact]
    public void A_32_px_parent_runs_the_stages_up_to_32_px()
    {
        var parent = Parent(stages: 2);
        var mask = RandomBlocks(32, 5);
        var resolutions = new List<int>();
        using var parentTensor = ImageTensor.FromBitmap(parent.ToBitmap());
        using var maskTensor = tensor(mask.Select(m => m ? 1f : 0f).ToArray(), [32, 32]);
        using var result = Pipeline.Refine(new RefinementRequest { Prompt = "cat", Seed = 1, Parent = parentTensor, Mask = maskTensor },
            p => resolutions.Add(p.Resolution));
        Assert.Equal([1L, 3, 32, 32], result.shape);
        Assert.Equal([16, 32], resolutions.Distinct());
    }

    [Fact]
    public void Upscaling_starts_the_cascade_above_the_picture_s_size()
    {
        var small = Parent(stages: 1);
        var resolutions = new List<int>();
        using var start = ImageTensor.FromBitmap(small.ToBitmap()).unsqueeze(0);
        using var result = Pipeline.Generate(new CascadeRequest { Prompt = "red heart", Seeds = [2], StartImages = start }, p => resolutions.Add(p.Resolution));
        Assert.Equal([1L, 3, 64, 64], result.shape);
        Assert.Equal([32, 64], resolutions.Distinct());
    }
}
