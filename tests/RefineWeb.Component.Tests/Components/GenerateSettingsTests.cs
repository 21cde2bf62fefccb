using Bunit;
using RefineWeb.Components.Pages.Home;

namespace RefineWeb.Tests.Components;

public sealed class GenerateSettingsTests : MudComponentTest
{
    static GenerationForm Form() => new([new("base", 16, 20, 3.0), new("refiner32", 32, 2, 2.0), new("refiner64", 64, 2, 1.5)]);

    static IReadOnlyList<string?> Labels(IRenderedComponent<GenerateSettings> settings, string slider) =>
        [.. settings.FindAll($"[data-testid={slider}]").Select(s => s.GetAttribute("aria-label"))];

    [Fact]
    public void Each_stage_that_runs_has_its_steps_and_its_own_guidance_starting_at_its_default()
    {
        var form = Form();
        var settings = Bunit.Render<GenerateSettings>(p => p.Add(x => x.Form, form));
        Assert.Equal(["Steps, 16 px", "Steps, 32 px", "Steps, 64 px"], Labels(settings, "steps-slider"));
        Assert.Equal(["Guidance, 16 px", "Guidance, 32 px", "Guidance, 64 px"], Labels(settings, "guidance-slider"));
        Assert.Contains("Guidance, 32 px: 2.0 (default)", settings.Markup);

        form.StageCount = 1; // stop at 16 px: the refiners' sliders go
        settings.Render();
        Assert.Equal(["Steps, 16 px"], Labels(settings, "steps-slider"));
        Assert.Equal(["Guidance, 16 px"], Labels(settings, "guidance-slider"));
    }

    [Fact]
    public void Reset_brings_back_every_stage_s_defaults()
    {
        var form = Form();
        form.Guidance[0] = 7;
        form.Steps[1] = 9;
        form.StageCount = 2;
        var settings = Bunit.Render<GenerateSettings>(p => p.Add(x => x.Form, form));
        Assert.Contains("Guidance, 16 px: 7.0", settings.Markup);
        Assert.DoesNotContain("Guidance, 16 px: 7.0 (default)", settings.Markup);
        settings.Find("[data-testid=reset-settings]").Click();
        Assert.Equal((3, 3.0, 2), (form.StageCount, form.Guidance[0], form.Steps[1]));
        Assert.Contains("Guidance, 16 px: 3.0 (default)", settings.Markup);
        Assert.Equal(3, Labels(settings, "guidance-slider").Count);
    }
}
