using RefineWeb.Engine.Text;
using RefineWeb.Generation;
using RefineWeb.Generation.Queueing;
using RefineWeb.Generation.Queueing.Redis;

namespace RefineWeb.Tests.Generation;

/// <summary>Alone: <see cref="PromptEmphasis.ParseCount"/> counts for the whole process, so no other test may parse meanwhile.</summary>
[CollectionDefinition(nameof(CountsPromptParses), DisableParallelization = true)]
public sealed class CountsPromptParses;

/// <summary>A job's prompt is read once, where the request is made; nothing on its way to the picture reads it again.</summary>
[Collection(nameof(CountsPromptParses))]
public sealed class PromptParsedOnceTests
{
    [Fact]
    public async Task From_submission_through_batching_the_cluster_queue_the_engine_and_scoring_each_prompt_is_parsed_once()
    {
        await using var app = await TinyModelApp.StartAsync();
        var service = app.Service<GenerationService>();
        var owner = Guid.NewGuid();
        long before = PromptEmphasis.ParseCount;

        var emphasized = service.Submit(owner, new GenerationInput { Prompt = "(red:1.4) heart", Count = 2, Seed = 1 }).Job!;
        var plain = service.Submit(owner, new GenerationInput { Prompt = "cat face", Seed = 5 }).Job!;
        Assert.Equal(2, PromptEmphasis.ParseCount - before); // once each, at submission

        // What a cluster does with a job (into Redis and back) and what the queue asks of it (may it share a batch?).
        var copy = JobSpec.Deserialize(JobSpec.Of(emphasized).Serialize()).ToJob();
        Assert.Equal(emphasized.Request.Emphasis.Text, copy.Request.Emphasis.Text);
        Assert.Equal(emphasized.Request.Emphasis.Phrases, copy.Request.Emphasis.Phrases);
        Assert.False(BatchPolicy.CanShare(emphasized, plain));
        Assert.True(BatchPolicy.CanShare(emphasized, copy));

        foreach (var job in new[] { emphasized, plain })
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            GenerationEvent last = job.Latest;
            await foreach (var update in job.Events(timeout.Token)) last = update;
            Assert.Equal(GenerationStatus.Succeeded, last.Status);
            Assert.NotNull(last.Scores); // scored against the parsed phrases
        }
        Assert.Equal(2, PromptEmphasis.ParseCount - before); // the engine, the scores, the stored settings: no second reading
    }
}
