using RefineWeb.Components.Pages.Home;
using RefineWeb.Generation;

namespace RefineWeb.Tests.Components;

/// <summary>The form's request: untouched, exactly an API call with only a prompt; changed, per stage.</summary>
public sealed class GenerationFormTests
{
    static GenerationForm Form() => new([
        new("base", 16, 20, 3.0), new("refiner32", 32, 2, 2.0), new("refiner64", 64, 2, 1.5)]);

    [Fact]
    public void An_untouched_form_leaves_every_setting_to_the_stages_own_defaults()
    {
        var form = Form();
        form.Prompt = "red heart";
        var input = form.ToInput();
        Assert.Equal("red heart", input.Prompt);
        Assert.Null(input.Seed);
        Assert.Null(input.Stages);
        Assert.Null(input.Steps);
        Assert.Null(input.GuidanceScale);
        Assert.Null(input.GuidanceScales);
        Assert.Empty(GenerationLimits.Validate(input, 3));
    }

    [Fact]
    public void Changed_guidance_and_steps_go_per_stage_for_the_stages_that_run()
    {
        var form = Form();
        form.Prompt = "red heart";
        form.StageCount = 2;
        form.Guidance[1] = 4.5;
        form.Steps[0] = 12;
        form.Guidance[2] = 9; // the 64 px stage will not run: it must not count
        var input = form.ToInput();
        Assert.Equal(2, input.Stages);
        Assert.Equal([12, 2], input.Steps!);
        Assert.Equal([3.0, 4.5], input.GuidanceScales!);
        Assert.Empty(GenerationLimits.Validate(input, 3));

        form.Guidance[1] = 2.0; // back to its default: nothing to send
        Assert.Null(form.ToInput().GuidanceScales);
    }

    [Fact]
    public void Restoring_an_images_settings_fills_the_form_and_reset_brings_the_defaults_back()
    {
        var form = Form();
        form.Restore(new ImageParameters { Prompt = "blue heart", Seed = 42, Stages = 2, Steps = [8, 3], GuidanceScale = 5 });
        Assert.Equal(("blue heart", 42L, false, 2), (form.Prompt, form.Seed, form.RandomSeed, form.StageCount));
        Assert.Equal([8, 3, 2], form.Steps);
        Assert.Equal([5.0, 5.0, 5.0], form.Guidance); // one scale for every stage, as that request asked

        form.Restore(new ImageParameters { Prompt = "blue heart", GuidanceScales = [1, 99] }); // 99 is past the limits: the default instead
        Assert.Equal([1.0, 2.0, 1.5], form.Guidance);

        form.ResetSettings();
        Assert.Equal(3, form.StageCount);
        Assert.Equal([20, 2, 2], form.Steps);
        Assert.Equal([3.0, 2.0, 1.5], form.Guidance);
        Assert.Equal(["16 px (base)", "32 px", "64 px (all stages)"], form.StopAtChoices.Select(c => c.Label));
    }

    [Fact]
    public void The_api_refuses_guidance_given_both_ways_or_out_of_its_limits()
    {
        var both = GenerationLimits.Validate(new GenerationInput { Prompt = "red heart", GuidanceScale = 3, GuidanceScales = [3] }, 3);
        Assert.Contains("not both", both["guidanceScales"][0]);
        var tooMany = GenerationLimits.Validate(new GenerationInput { Prompt = "red heart", GuidanceScales = [1, 1, 1, 1] }, 3);
        Assert.Contains("at most 3", tooMany["guidanceScales"][0]);
        var outOfRange = GenerationLimits.Validate(new GenerationInput { Prompt = "red heart", GuidanceScales = [1, double.NaN] }, 3);
        Assert.Contains("between 0 and 20", outOfRange["guidanceScales"][0]);
    }
}
