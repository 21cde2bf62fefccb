using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using RefineWeb.Generation;
using RefineWeb.Engine.Imaging;
using static RefineWeb.Tests.Security.HostileRequests;
using RefineWeb.Generation.Queueing;

namespace RefineWeb.Tests.Security;

/// <summary>Finding 1: every failure is a ProblemDetails with the right status, and changes nothing.</summary>
public sealed class ErrorResponseTests : IAsyncLifetime
{
    TinyModelApp app = null!;

    public async Task InitializeAsync() => app = await TinyModelApp.StartAsync();

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task A_wrong_method_or_an_unknown_api_path_answers_a_problem_not_an_empty_body()
    {
        using (var wrongMethod = await app.Client.PutAsync("/api/v1/generations", JsonContent("{}")))
            await AssertProblemAsync(wrongMethod, HttpStatusCode.MethodNotAllowed);
        using (var unknown = await app.Client.GetAsync("/api/v1/no-such-thing"))
            await AssertProblemAsync(unknown, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_upload_over_the_limit_is_413_and_stores_nothing()
    {
        var huge = new byte[ImageUpload.MaxBytes + 1024 * 1024];
        Png(8, 8, SkiaSharp.SKColors.Red).CopyTo(huge, 0);
        using var response = await UploadAsync(app.Client, huge);
        var problem = await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("10 MB", problem.GetProperty("detail").GetString());
        Assert.Equal(0, await GalleryCountAsync(app.Client));
        Assert.Equal(0, ImageFiles(app.Factory.DataDirectory));
    }

    [Fact]
    public async Task Multipart_without_a_boundary_or_with_a_garbage_body_is_400()
    {
        var noBoundary = new ByteArrayContent(Encoding.ASCII.GetBytes("garbage"));
        noBoundary.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data");
        using (var response = await app.Client.PostAsync("/api/v1/uploads", noBoundary))
            await AssertProblemAsync(response, HttpStatusCode.BadRequest);

        var garbage = new ByteArrayContent(Encoding.ASCII.GetBytes("--xyz\r\nnot a part header at all\r\n\r\nbody without end"));
        garbage.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=xyz");
        using (var response = await app.Client.PostAsync("/api/v1/uploads", garbage))
            await AssertProblemAsync(response, HttpStatusCode.BadRequest);

        using (var notMultipart = await app.Client.PostAsync("/api/v1/uploads", new ByteArrayContent(Png(8, 8, SkiaSharp.SKColors.Red))))
            await AssertProblemAsync(notMultipart, HttpStatusCode.UnsupportedMediaType);
        Assert.Equal(0, await GalleryCountAsync(app.Client));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task Json_endpoints_refuse_other_content_types_with_415(string? contentType)
    {
        foreach (var path in new[] { "/api/v1/generations", "/api/v1/refinements", "/api/v1/upscales", "/api/v1/shares" })
        {
            var content = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"prompt\": \"red heart\"}"));
            if (contentType is not null) content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            using var response = await app.Client.PostAsync(path, content);
            await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        }
        Assert.Equal(0, app.Service<GenerationQueue>().Known);
        Assert.Equal("[]", await app.Client.GetStringAsync("/api/v1/shares"));
    }

    [Fact]
    public async Task Refining_or_upscaling_an_image_whose_file_is_gone_is_a_clear_400_and_queues_nothing()
    {
        var id = await UploadIdAsync(app.Client, Png(16, 16, SkiaSharp.SKColors.Red));
        foreach (var file in Directory.EnumerateFiles(Path.Combine(app.Factory.DataDirectory, "images"), "*.png", SearchOption.AllDirectories)) File.Delete(file);

        using (var refine = await app.Client.PostAsync("/api/v1/refinements",
                   JsonContent($$"""{"parentImageId": "{{id}}", "prompt": "red heart", "mask": "{{Convert.ToBase64String(Png(16, 16, SkiaSharp.SKColors.White))}}"}""")))
        {
            var problem = await AssertProblemAsync(refine, HttpStatusCode.BadRequest);
            Assert.Contains("upload the picture again", problem.GetProperty("errors").GetProperty("parentImageId")[0].GetString());
        }
        using (var upscale = await app.Client.PostAsync("/api/v1/upscales", JsonContent($$"""{"imageId": "{{id}}", "prompt": "red heart"}""")))
            Assert.Contains("upload the picture again", (await AssertProblemAsync(upscale, HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("imageId")[0].GetString());
        Assert.Equal(0, app.Service<GenerationQueue>().Known);
    }

    [Fact]
    public async Task Json_errors_name_the_field_without_dotnet_type_names()
    {
        using var response = await app.Client.PostAsync("/api/v1/generations", JsonContent("""{"prompt": "red heart", "count": "lots"}"""));
        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("The field 'count' has a value of the wrong type or out of range.", problem.GetProperty("detail").GetString());
        using var typo = await app.Client.PostAsync("/api/v1/generations", JsonContent("""{"prompt": "red heart", "seeed": 1}"""));
        Assert.Equal("'seeed' is not a field of a generation request.", (await AssertProblemAsync(typo, HttpStatusCode.BadRequest)).GetProperty("detail").GetString());
    }

    internal static StringContent JsonContent(string json) => new(json, Encoding.UTF8, "application/json");
}
