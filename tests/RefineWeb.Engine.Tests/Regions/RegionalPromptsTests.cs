using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Pipelines.Regions;
using RefineWeb.Engine.Requests;
using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Serving;
using RefineWeb.Engine.Tests.Pipelines;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Tests.Regions;

/// <summary>Prompts by region: the masks at each stage's size, the blend of a step's predictions, and a layout on the shipped model.</summary>
public sealed class RegionalPromptsTests(ShippedModelFixture fixture) : IClassFixture<ShippedModelFixture>
{
    static float[] Flat(Tensor t) => t.flatten().to(ScalarType.Float32).data<float>().ToArray();

    [Fact]
    public void A_region_covers_every_pixel_it_touches_so_a_small_one_keeps_a_pixel_at_the_base()
    {
        // x 0.3-0.55 of 4 px: 1.2 to 2.2 px, so columns 1 and 2; y 0-0.5: rows 0 and 1.
        Assert.Equal(
            [0, 1, 1, 0,
             0, 1, 1, 0,
             0, 0, 0, 0,
             0, 0, 0, 0], Flat(new PromptRegion("a", 0.3, 0, 0.25, 0.5).MaskAt(4, CPU)));
        // A sliver of 2 % of a 16 px picture still owns one pixel there.
        Assert.Equal(1, Flat(new PromptRegion("a", 0.5, 0.5, 0.02, 0.02).MaskAt(16, CPU)).Sum());
        Assert.Equal(256, Flat(new PromptRegion("a", 0, 0, 1, 1).MaskAt(16, CPU)).Sum());
    }

    [Fact]
    public void Each_pixel_belongs_to_one_prompt_the_later_region_winning_and_the_global_prompt_taking_the_rest()
    {
        var layout = new RegionalPrompts([new PromptRegion("left", 0, 0, 0.75, 1), new PromptRegion("top right", 0.5, 0, 0.5, 0.5)]);
        var masks = layout.Masks(4, CPU);
        Assert.Equal([3L, 1, 1, 4, 4], masks.shape);
        Assert.Equal(Enumerable.Repeat(1f, 16), Flat(masks.sum([0]))); // one-hot per pixel
        Assert.Equal(
            [0, 0, 0, 0,
             0, 0, 0, 0,
             0, 0, 0, 1,
             0, 0, 0, 1], Flat(masks[0])); // the global prompt: only what no region covers
        Assert.Equal(
            [1, 1, 0, 0,
             1, 1, 0, 0,
             1, 1, 1, 0,
             1, 1, 1, 0], Flat(masks[1])); // the first region, less what the second took
        Assert.Equal(
            [0, 0, 1, 1,
             0, 0, 1, 1,
             0, 0, 0, 0,
             0, 0, 0, 0], Flat(masks[2]));
    }

    [Fact]
    public void A_network_with_a_layout_channel_hears_each_regions_whole_region_on_its_rows_and_the_whole_picture_elsewhere()
    {
        var layout = new RegionalPrompts([new PromptRegion("left", 0, 0, 0.75, 1), new PromptRegion("top right", 0.5, 0, 0.5, 0.5)]);
        var rows = layout.LayoutRows(4, batch: 2, negatives: 1, CPU);
        Assert.Equal([8L, 1, 4, 4], rows.shape); // (3 prompts + 1 unconditional) x 2 samples
        float[] whole = [.. Enumerable.Repeat(1f, 16)];
        float[] left = [1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0]; // all of it, the part the later region wins too
        float[] topRight = [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        float[][] expected = [whole, whole, left, left, topRight, topRight, whole, whole];
        for (int row = 0; row < 8; row++) Assert.Equal(expected[row], Flat(rows[row]));
        Assert.Equal(6, layout.LayoutRows(4, batch: 2, negatives: 0, CPU).shape[0]); // unguided: the conditional rows alone
    }

    [Fact]
    public void A_step_takes_each_prompts_guided_prediction_inside_its_region()
    {
        var layout = new RegionalPrompts([new PromptRegion("left", 0, 0, 0.5, 1), new PromptRegion("right", 0.5, 0, 0.5, 1)]);
        var masks = layout.Masks(2, CPU);
        // Rows: global 1, left 2, right 3, unconditional 0 (one sample, one channel, 2x2).
        var output = cat([ScalarArguments.Full([1, 1, 2, 2], 1f), ScalarArguments.Full([1, 1, 2, 2], 2f), ScalarArguments.Full([1, 1, 2, 2], 3f), zeros(1, 1, 2, 2)], 0);
        Assert.Equal([2f, 3f, 2f, 3f], Flat(RegionalPrompts.Blend(output, masks, batch: 1, guidanceScale: 1, guided: true)));
        // Guidance 4: uncond + 4 (cond - uncond), per region.
        Assert.Equal([8f, 12f, 8f, 12f], Flat(RegionalPrompts.Blend(output, masks, batch: 1, guidanceScale: 4, guided: true)));
        // Unguided: the conditional rows only.
        Assert.Equal([2f, 3f, 2f, 3f], Flat(RegionalPrompts.Blend(output.narrow(0, 0, 3), masks, batch: 1, guidanceScale: 1, guided: false)));
    }

    [Fact]
    public void A_region_with_a_negative_prompt_of_its_own_is_guided_away_from_it_and_the_others_from_the_shared_one()
    {
        var layout = new RegionalPrompts([new PromptRegion("left", 0, 0, 0.5, 1) { NegativePrompt = "blue" }, new PromptRegion("right", 0.5, 0, 0.5, 1)]);
        Assert.Equal((3, 3), (layout.Prompts, layout.Negatives));
        Assert.Equal(1, new RegionalPrompts([new PromptRegion("left", 0, 0, 0.5, 1)]).Negatives);
        var masks = layout.Masks(2, CPU);
        // Conditional rows: global 1, left 2, right 3; unconditional rows, one per prompt: 0, 1 (left's own), 0 (right: the request's).
        var output = cat(new[] { 1f, 2f, 3f, 0f, 1f, 0f }.Select(v => ScalarArguments.Full([1, 1, 2, 2], v)).ToArray(), 0);
        // Guidance 2: uncond + 2 (cond - uncond): left 1 + 2 (2 - 1) = 3, right 0 + 2 (3 - 0) = 6.
        Assert.Equal([3f, 6f, 3f, 6f], Flat(RegionalPrompts.Blend(output, masks, batch: 1, guidanceScale: 2, guided: true, negatives: layout.Negatives)));

        // The rows a request tokenizes: prompts, then the items' negatives, then each region's negatives (its own, or the item's).
        var request = new RefineWeb.Engine.Pipelines.Cascade.CascadeRequest
        {
            Prompt = "hearts", ItemPrompts = ["hearts", "hearts"], ItemNegativePrompts = ["grey", "pink"], Seeds = [1, 2],
            Regions = [new PromptRegion("red heart", 0, 0, 0.5, 1) { NegativePrompt = "blue" }, new PromptRegion("sun", 0.5, 0, 0.5, 1)],
        };
        Assert.Equal(["hearts", "hearts", "red heart", "red heart", "sun", "sun", "grey", "pink", "blue", "blue", "grey", "pink"], request.ConditionalThenUnconditional());
        Assert.Equal("red heart (not blue) @ 0,0 0.5x1", new RegionInput { Prompt = "red heart", NegativePrompt = " blue ", Rect = new RegionRect { Width = 0.5, Height = 1 } }.ToString());
    }

    [Fact]
    public void A_regions_weight_scales_the_difference_its_prompt_makes_over_the_global_one()
    {
        var layout = new RegionalPrompts([new PromptRegion("left", 0, 0, 0.5, 1) { Weight = 1.5 }, new PromptRegion("right", 0.5, 0, 0.5, 1) { Weight = 0.5 }]);
        Assert.Equal([1.5, 0.5], layout.Weights);
        var masks = layout.Masks(2, CPU);
        // Rows: global 1, left 2, right 3 (unguided). Left: 1 + 1.5 (2 - 1) = 2.5; right: 1 + 0.5 (3 - 1) = 2.
        var output = cat([ScalarArguments.Full([1, 1, 2, 2], 1f), ScalarArguments.Full([1, 1, 2, 2], 2f), ScalarArguments.Full([1, 1, 2, 2], 3f)], 0);
        Assert.Equal([2.5f, 2f, 2.5f, 2f], Flat(RegionalPrompts.Blend(output, masks, batch: 1, guidanceScale: 1, guided: false, layout.Weights)));
        // Weights of 1: exactly the unweighted blend.
        Assert.Equal(Flat(RegionalPrompts.Blend(output, masks, 1, 1, false)), Flat(RegionalPrompts.Blend(output, masks, 1, 1, false, [1, 1])));
        Assert.Equal("red heart x1.5 @ 0,0 0.5x1", new RegionInput { Prompt = "red heart", Weight = 1.5, Rect = new RegionRect { Width = 0.5, Height = 1 } }.ToString());
    }

    /// <summary>A square mask, true where <paramref name="inside"/> says.</summary>
    static bool[] Painted(int side, Func<int, int, bool> inside) =>
        [.. Enumerable.Range(0, side * side).Select(p => inside(p % side, p / side))];

    [Fact]
    public void A_painted_region_is_pooled_to_each_size_keeping_any_block_it_touches_and_its_bounds_are_its_box()
    {
        // 4 x 4 with one painted pixel at (1, 2): at 2 px it owns the block (0, 1); at 8 px its 2 x 2 block.
        var region = PromptRegion.Of("a", Painted(4, (x, y) => x == 1 && y == 2), 4);
        Assert.Equal((0.25, 0.5, 0.25, 0.25), (region.X, region.Y, region.Width, region.Height));
        Assert.Equal([0, 0, 1, 0], Flat(region.MaskAt(2, CPU)));
        var eight = Flat(region.MaskAt(8, CPU));
        Assert.Equal(4, eight.Sum());
        Assert.Equal([1f, 1f, 1f, 1f], new[] { eight[4 * 8 + 2], eight[4 * 8 + 3], eight[5 * 8 + 2], eight[5 * 8 + 3] });
        // 3 px to 2 px: blocks overlap where the sizes do not divide (rows 0-1 and 1-2), so the middle row reaches both.
        var middle = PromptRegion.Of("a", Painted(3, (x, y) => y == 1), 3);
        Assert.Equal([1, 1, 1, 1], Flat(middle.MaskAt(2, CPU)));
        Assert.Throws<ArgumentException>(() => PromptRegion.Of("a", new bool[16], 4));
    }

    [Fact]
    public void Painted_halves_make_exactly_the_picture_of_the_same_halves_as_rectangles()
    {
        var model = fixture.Model;
        GenerationInput Layout(RegionInput left, RegionInput right) => new() { Prompt = "heart", Seed = 1, Stages = 3, Regions = [left, right] };
        var rects = Layout(
            new RegionInput { Prompt = "red heart", Rect = new RegionRect { X = 0, Y = 0, Width = 0.5, Height = 1 } },
            new RegionInput { Prompt = "blue heart", Rect = new RegionRect { X = 0.5, Y = 0, Width = 0.5, Height = 1 } });
        // Painted at 128 px (twice the 64 px picture), as a canvas at a pixel ratio of 2 would send it.
        var painted = Layout(
            new RegionInput { Prompt = "red heart", Mask = RegionMask.ToBase64(Painted(128, (x, _) => x < 64), 128) },
            new RegionInput { Prompt = "blue heart", Mask = RegionMask.ToBase64(Painted(128, (x, _) => x >= 64), 128) });
        var (byRect, rectErrors) = ImageRequest.Parse(rects, model.Stages.Count);
        var (byMask, maskErrors) = ImageRequest.Parse(painted, model.Stages.Count);
        Assert.Empty(rectErrors);
        Assert.Empty(maskErrors);
        var engine = new ImageEngine(model);
        Assert.Equal(engine.Run([byRect!])[0].Images[0].Pixels, engine.Run([byMask!])[0].Images[0].Pixels);
        Assert.Equal(new RegionRect { X = 0.5, Y = 0, Width = 0.5, Height = 1 }, painted.Regions![1].Bounds());
    }

    [Fact]
    public void A_regions_crop_is_its_box_centred_on_white_with_what_lies_outside_the_region_white()
    {
        // A 4 x 4 picture whose pixel (x, y) is x / 10 - y / 100 in every channel; the right half as a region.
        var image = tensor(Enumerable.Range(0, 3 * 16).Select(i => (float)((i % 4) / 10.0 - (i / 4 % 4) / 100.0)).ToArray(), [3, 4, 4]);
        var crop = RegionCrops.Of(image, [new PromptRegion("a", 0.5, 0, 0.5, 1)]);
        Assert.Equal([1L, 3, 4, 4], crop.shape);
        var row = Flat(crop[0, 0, 1]); // the second row of the first channel: white, x = 2, x = 3, white
        Assert.Equal([1f, 0.19f, 0.29f, 1f], row.Select(v => MathF.Round(v, 4)));
        // A painted L-shaped region: its box is 2 x 2, the unpainted corner white.
        var painted = PromptRegion.Of("b", Painted(4, (x, y) => (x, y) is (0, 0) or (0, 1) or (1, 1)), 4);
        var cropped = Flat(RegionCrops.Of(image, [painted])[0, 0]); // 2 x 2 box scaled back to 4 x 4 (area: each pixel twice)
        Assert.Equal(1f, cropped[2]); // the corner (1, 0) was not painted: white
        Assert.Equal(0f, MathF.Round(cropped[0], 4)); // (0, 0) itself
    }

    [Fact]
    public void A_layouts_image_is_scored_per_region_on_what_each_region_shows()
    {
        var model = fixture.Model;
        var left = new RegionRect { X = 0, Y = 0, Width = 0.5, Height = 1 };
        var (request, _) = ImageRequest.Parse(new GenerationInput
        {
            Prompt = "heart", Seed = 1, Stages = 3,
            Regions = [new RegionInput { Prompt = "red heart", Rect = left }, new RegionInput { Prompt = "blue heart", Rect = new RegionRect { X = 0.5, Y = 0, Width = 0.5, Height = 1 } }],
        }, model.Stages.Count);
        var result = new ImageEngine(model).Run([request!])[0];
        var regions = result.Scores![0].Regions!;
        Assert.Equal(2, regions.Count);
        // The left region (drawn red) matches its own prompt better than the right region's prompt.
        using var image = ImageTensor.FromRgb(result.Images[0]);
        var swapped = new RefineWeb.Engine.Pipelines.Semantic.AlignmentScorer(model).RegionScores(image, [new PromptRegion("blue heart", 0, 0, 0.5, 1)]);
        Assert.True(regions[0] > swapped[0], $"the red half scores {regions[0]:F3} as red heart and {swapped[0]:F3} as blue heart");
        Assert.Null(new ImageEngine(model).Run([ImageRequest.Parse(new GenerationInput { Prompt = "heart", Seed = 1, Stages = 1 }, model.Stages.Count).Request!])[0].Scores![0].Regions);
    }

    [Fact]
    public void A_red_region_on_the_left_and_a_blue_one_on_the_right_come_out_that_way_on_the_shipped_model()
    {
        var model = fixture.Model;
        var (request, errors) = ImageRequest.Parse(new GenerationInput
        {
            Prompt = "heart", Seed = 1,
            Regions =
            [
                new RegionInput { Prompt = "red heart", Rect = new RegionRect { X = 0, Y = 0, Width = 0.5, Height = 1 } },
                new RegionInput { Prompt = "blue heart", Rect = new RegionRect { X = 0.5, Y = 0, Width = 0.5, Height = 1 } },
            ],
        }, model.Stages.Count);
        Assert.Empty(errors);
        var image = new ImageEngine(model).Run([request!])[0].Images[0];
        var (left, right) = (MeanColour(image, 0, image.Width / 2), MeanColour(image, image.Width / 2, image.Width));
        Assert.True(left.R > left.B + 40, $"left half not red: {left}");
        Assert.True(right.B > right.R + 40, $"right half not blue: {right}");

        // The same prompt without the layout is not split that way (the regions did it).
        var (plain, _) = ImageRequest.Parse(new GenerationInput { Prompt = "heart", Seed = 1 }, model.Stages.Count);
        var unsplit = new ImageEngine(model).Run([plain!])[0].Images[0];
        var (plainLeft, plainRight) = (MeanColour(unsplit, 0, unsplit.Width / 2), MeanColour(unsplit, unsplit.Width / 2, unsplit.Width));
        Assert.False(plainLeft.R > plainLeft.B + 40 && plainRight.B > plainRight.R + 40, $"the plain prompt split too: {plainLeft} {plainRight}");
    }

    [Fact]
    public void Several_images_of_one_layout_each_follow_it_and_the_first_is_the_one_made_alone()
    {
        var model = fixture.Model;
        GenerationInput Layout(int count) => new()
        {
            Prompt = "heart", Seed = 1, Count = count, Stages = 2,
            Regions =
            [
                new RegionInput { Prompt = "red heart", Rect = new RegionRect { X = 0, Y = 0, Width = 0.5, Height = 1 } },
                new RegionInput { Prompt = "blue heart", Rect = new RegionRect { X = 0.5, Y = 0, Width = 0.5, Height = 1 } },
            ],
        };
        var engine = new ImageEngine(model);
        var three = engine.Run([ImageRequest.Parse(Layout(3), model.Stages.Count).Request!])[0].Images;
        Assert.Equal(3, three.Count);
        foreach (var image in three)
        {
            var (left, right) = (MeanColour(image, 0, image.Width / 2), MeanColour(image, image.Width / 2, image.Width));
            Assert.True(left.R > left.B + 40 && right.B > right.R + 40, $"an image of the batch does not follow the layout: {left} {right}");
        }
        Assert.NotEqual(three[0].Pixels, three[1].Pixels); // each its own seed
        // Seed 1 in a batch of three against alone: the same picture up to the batch's rounding (at most a level or two).
        var alone = engine.Run([ImageRequest.Parse(Layout(1), model.Stages.Count).Request!])[0].Images[0];
        Assert.True(alone.Pixels.Zip(three[0].Pixels).Max(p => Math.Abs(p.First - p.Second)) <= 2);
    }

    [Fact]
    public void A_layout_drawn_on_an_existing_picture_colours_its_regions_and_keeps_the_rest_byte_for_byte()
    {
        var model = fixture.Model;
        var engine = new ImageEngine(model);
        var parent = engine.Run([ImageRequest.Parse(new GenerationInput { Prompt = "green apple", Seed = 2 }, model.Stages.Count).Request!])[0].Images[0];
        int side = parent.Width, feather = GenerationLimits.DefaultFeather(side);
        // Two regions over the top half: red on the left, blue on the right; the mask is their union.
        var (request, errors) = ImageRequest.Parse(new GenerationInput
        {
            Prompt = "heart", Seed = 1,
            Regions =
            [
                new RegionInput { Prompt = "red heart", Rect = new RegionRect { X = 0, Y = 0, Width = 0.5, Height = 0.5 } },
                new RegionInput { Prompt = "blue heart", Rect = new RegionRect { X = 0.5, Y = 0, Width = 0.5, Height = 0.5 } },
            ],
        }, model.Stages.Count);
        Assert.Empty(errors);
        var mask = Enumerable.Range(0, side * side).Select(p => p / side < side / 2).ToArray();
        var edit = new ImageEdit(EditKind.RefineRegion, "parent", parent, 1.0, mask, MaskCompositor.Editable(mask, side, side, feather), feather);
        var image = engine.Run([request! with { Edit = edit }])[0].Images[0];

        for (int y = side / 2 + feather + 1; y < side; y++)
            Assert.True(parent.Pixels.AsSpan(y * side * 3, side * 3).SequenceEqual(image.Pixels.AsSpan(y * side * 3, side * 3)), $"row {y}, below the regions, changed");
        var top = image with { Height = side / 2, Pixels = image.Pixels[..(side * side / 2 * 3)] };
        var (left, right) = (MeanColour(top, 0, side / 2), MeanColour(top, side / 2, side));
        Assert.True(left.R - left.B > right.R - right.B + 40, $"the top left is not redder than the top right: {left} {right}");
    }

    [Fact]
    public void Emphasis_in_a_region_weighs_that_regions_own_token_rows_and_the_global_prompts_its_own()
    {
        var tokenizer = new RefineWeb.Engine.Text.WordTokenizer(RefineWeb.Engine.Text.WordTokenizer.BuildVocabulary(["red heart", "blue star"]), maxLength: 6);
        var red = RefineWeb.Engine.Text.PromptEmphasis.Parse("(red:1.5) heart");
        var layout = new RegionalPrompts([new PromptRegion(red.Text, 0, 0, 0.5, 1) { Emphasis = red.Phrases }, new PromptRegion("blue star", 0.5, 0, 0.5, 1)]);
        var star = RefineWeb.Engine.Text.PromptEmphasis.Parse("(star:2)");
        using var weights = layout.TokenWeights(tokenizer, ["star"], [star.Phrases], CPU)!;
        // Rows: the global prompt, region 1, region 2, then the unconditional one; positions: <s>, the words, </s>, padding.
        Assert.Equal([4L, 6], weights.shape);
        Assert.Equal([1f, 2f, 1f, 1f, 1f, 1f], Flat(weights[0]));
        Assert.Equal([1f, 1.5f, 1f, 1f, 1f, 1f], Flat(weights[1]));
        Assert.Equal(Enumerable.Repeat(1f, 12), Flat(weights[2..4]));
        // Nothing emphasized anywhere: no weights at all (the plain layout's pass is unchanged).
        Assert.Null(new RegionalPrompts([new PromptRegion("red heart", 0, 0, 1, 1)]).TokenWeights(tokenizer, ["star"], [[]], CPU));
    }

    [Fact]
    public void A_region_that_emphasizes_its_colour_shows_more_of_it_on_the_shipped_model()
    {
        var model = fixture.Model;
        RgbImage Draw(string left) => new ImageEngine(model).Run([ImageRequest.Parse(new GenerationInput
        {
            Prompt = "heart", Seed = 5, Stages = 3,
            Regions =
            [
                new RegionInput { Prompt = left, Rect = new RegionRect { X = 0, Y = 0, Width = 0.5, Height = 1 } },
                new RegionInput { Prompt = "yellow heart", Rect = new RegionRect { X = 0.5, Y = 0, Width = 0.5, Height = 1 } },
            ],
        }, model.Stages.Count).Request!])[0].Images[0];
        var (plain, emphasized) = (Draw("blue heart"), Draw("(blue:2) heart"));
        double Blueness(RgbImage image) { var c = MeanColour(image, 0, image.Width / 2); return c.B - (c.R + c.G) / 2; }
        Assert.True(Blueness(emphasized) > Blueness(plain) + 5, $"blueness of the left half: {Blueness(plain):F1} plain, {Blueness(emphasized):F1} emphasized");
        // The right half, whose prompt did not change, keeps its picture (it shares only the global prompt's rows).
        var (right, rightAgain) = (MeanColour(plain, plain.Width / 2, plain.Width), MeanColour(emphasized, plain.Width / 2, plain.Width));
        Assert.True(Math.Abs(right.B - rightAgain.B) < 25, $"the right half changed: {right} {rightAgain}");
    }

    static (double R, double G, double B) MeanColour(RgbImage image, int fromX, int toX)
    {
        double r = 0, g = 0, b = 0;
        int n = 0;
        for (int y = 0; y < image.Height; y++)
            for (int x = fromX; x < toX; x++, n++)
            {
                int i = (y * image.Width + x) * 3;
                (r, g, b) = (r + image.Pixels[i], g + image.Pixels[i + 1], b + image.Pixels[i + 2]);
            }
        return (r / n, g / n, b / n);
    }
}
