using RefineWeb.Engine.Requests;
using RefineWeb.Generation;

namespace RefineWeb.Tests.Shared;

/// <summary>Jobs as the service makes them: the input through the one parser (five stages), the seeds consecutive from the first.</summary>
static class TestJobs
{
    public static GenerationJob Of(Guid owner, GenerationInput input, IReadOnlyList<long> seeds, ImageEdit? edit = null)
    {
        var (request, errors) = ImageRequest.Parse(input with { Seed = seeds[0], Count = edit is null ? seeds.Count : 1 }, stageCount: 5);
        if (request is null) throw new ArgumentException(string.Join(" ", errors.SelectMany(e => e.Value)));
        if (!request.Seeds.SequenceEqual(seeds)) throw new ArgumentException("Seeds must follow each other.");
        return new GenerationJob(owner, request with { Edit = edit });
    }
}
