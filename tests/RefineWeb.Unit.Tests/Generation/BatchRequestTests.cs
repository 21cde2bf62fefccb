using RefineWeb.Generation;

namespace RefineWeb.Tests.Generation;

public sealed class BatchRequestTests
{
    [Fact]
    public void Every_image_is_a_row_with_its_own_jobs_prompt_negative_emphasis_and_seed_and_the_shared_settings_of_the_first()
    {
        var first = new GenerationJob(Guid.NewGuid(), new GenerationInput { Prompt = "(red:1.4) heart", NegativePrompt = "blue", Steps = [7, 2], GuidanceScale = 4, Stages = 2, Count = 2 }, [5, 6]);
        var second = new GenerationJob(Guid.NewGuid(), new GenerationInput { Prompt = "cat face", Steps = [7, 2], GuidanceScale = 4, Stages = 2 }, [9]);

        var rows = BatchRequest.Rows([first, second]);
        Assert.Equal([(first, 5L), (first, 6L), (second, 9L)], rows);

        var request = BatchRequest.For([first, second]);
        Assert.Equal(["red heart", "red heart", "cat face"], request.ItemPrompts!);
        Assert.Equal(["blue", "blue", ""], request.ItemNegativePrompts!);
        Assert.Equal([5L, 6L, 9L], request.Seeds);
        var emphasis = request.ItemEmphasis![0];
        Assert.Equal(("red", 1.4), (emphasis.Single().Text, emphasis.Single().Weight));
        Assert.Empty(request.ItemEmphasis[2]);
        Assert.Equal([7, 2], request.StepsPerStage!);
        Assert.Equal((4.0, 2), (request.GuidanceScale!.Value, request.StageCount!.Value));
        Assert.Equal("red heart", request.Prompt); // the emphasis syntax is not part of what the model reads
    }
}
