using RefineWeb.Engine.Pipelines;
using RefineWeb.Engine.Text;
using SkiaSharp;

namespace RefineWeb.Cli.Tests;

public sealed class GenerateCommandTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("refineweb-cli-").FullName;
    string ModelDirectory => Path.Combine(root, "model");

    public GenerateCommandTests()
    {
        RefineWeb.Engine.Runtime.TorchRuntime.Initialize();
        CascadeBlueprint.Write(ModelDirectory, WordTokenizer.BuildVocabulary(["red heart", "cat face"]), CascadePreset.Tiny);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);


    [Fact]
    public async Task The_sampler_is_named_as_in_the_api_and_changes_the_picture()
    {
        async Task<byte[]> Run(params string[] sampler)
        {
            var path = Path.Combine(root, $"s{sampler.Length}{string.Join("", sampler).Length}.png");
            var (exit, _, error) = await Cli.Run(["generate", "--prompt", "red heart", "--seed", "3", "--model", ModelDirectory, "--out", path, .. sampler]);
            Assert.True(exit == 0, error);
            return await File.ReadAllBytesAsync(path);
        }
        var byDefault = await Run();
        Assert.Equal(byDefault, await Run("--sampler", "dpm-solver++-2m"));
        Assert.NotEqual(byDefault, await Run("--sampler", "ddim"));
    }

    [Fact]
    public async Task Grid_of_the_everyday_set_draws_forty_cells_and_an_unknown_set_is_refused_with_nothing_written()
    {
        var outFile = Path.Combine(root, "everyday.png");
        var (exit, output, error) = await Cli.Run("grid", "--set", "everyday", "--columns", "8", "--cell", "16", "--model", ModelDirectory, "--out", outFile);
        Assert.True(exit == 0, error);
        Assert.Contains("40 prompts", output);
        Assert.Contains("row 5: snake | turtle", output);
        using (var grid = SKBitmap.Decode(outFile))
            Assert.Equal((8 * 18 + 2, 5 * 18 + 2), (grid.Width, grid.Height)); // 5 rows of 8 cells, 2 px gaps

        var refused = Path.Combine(root, "none.png");
        (exit, _, error) = await Cli.Run("grid", "--set", "everything", "--model", ModelDirectory, "--out", refused);
        Assert.Equal(1, exit);
        Assert.Contains("--set 'everything' is not a prompt set: choose card or everyday", error);
        Assert.False(File.Exists(refused));
    }

    [Fact]
    public async Task Generate_writes_a_64_px_png_per_image()
    {
        var outFile = Path.Combine(root, "out", "heart.png");
        var (exit, output, error) = await Cli.Run("generate", "--prompt", "red heart", "--seed", "7", "--count", "2", "--model", ModelDirectory, "--out", outFile, "--device", "cpu");
        Assert.True(exit == 0, error);
        foreach (var path in new[] { "heart-1.png", "heart-2.png" }.Select(n => Path.Combine(root, "out", n)))
        {
            using var image = SKBitmap.Decode(path);
            Assert.Equal((64, 64), (image.Width, image.Height));
        }
        Assert.Contains("seed 8", output);
        Assert.DoesNotContain("warning", output);
    }

    [Fact]
    public async Task Words_the_model_does_not_know_are_named_with_suggestions_and_the_image_is_still_made()
    {
        var outFile = Path.Combine(root, "hearts.png");
        var (exit, output, error) = await Cli.Run("generate", "--prompt", "(red:1.2) hearts qwzx", "--negative-prompt", "cat fase", "--model", ModelDirectory,
            "--out", outFile, "--device", "cpu");
        Assert.True(exit == 0, error);
        Assert.Contains("warning: 'hearts' is not a word the model knows, so it is ignored; did you mean 'heart'?", output);
        Assert.Contains("warning: 'qwzx' is not a word the model knows, so it is ignored; no word it knows is close in meaning or spelling.", output);
        Assert.Contains("warning: negative prompt: 'fase' is not a word the model knows, so it is ignored; did you mean 'face'?", output);
        Assert.DoesNotContain("'red'", output);
        Assert.True(File.Exists(outFile));
    }

    [Fact]
    public async Task Missing_weights_give_a_one_line_error_naming_the_file()
    {
        File.Delete(Path.Combine(ModelDirectory, "refiner64.safetensors"));
        var (exit, _, error) = await Cli.Run("generate", "--prompt", "cat face", "--model", ModelDirectory, "--out", Path.Combine(root, "x.png"));
        Assert.Equal(1, exit);
        Assert.StartsWith("error: ", error);
        Assert.Contains("refiner64.safetensors", error);
        Assert.False(File.Exists(Path.Combine(root, "x.png")));

        (exit, _, error) = await Cli.Run("generate", "--prompt", "cat face", "--model", ModelDirectory, "--random-weights", "--out", Path.Combine(root, "x.png"));
        Assert.True(exit == 0, error);
        Assert.True(File.Exists(Path.Combine(root, "x.png")));
    }

    [Theory]
    // The page's and the API's limits and messages (one parser), named by the option.
    [InlineData("--count", "9", "--count: Number of images must be between 1 and 4.")]
    [InlineData("--stages", "7", "--stages: Stages must be between 1 and 3.")]
    [InlineData("--steps", "0", "--steps: Steps per stage must be between 1 and 100.")]
    [InlineData("--steps", "101", "--steps: Steps per stage must be between 1 and 100.")]
    [InlineData("--sampler", "euler", "--sampler must be dpm-solver++-2m or ddim.")]
    public async Task Out_of_range_settings_are_refused_with_the_reason(string option, string value, string message)
    {
        var (exit, _, error) = await Cli.Run("generate", "--prompt", "cat face", "--model", ModelDirectory, option, value, "--out", Path.Combine(root, "y.png"));
        Assert.Equal(1, exit);
        Assert.Contains(message, error);
        Assert.False(File.Exists(Path.Combine(root, "y.png")));
    }

    [Theory]
    [InlineData("(blue heart", "never closed")]
    [InlineData("(blue:lots) heart", "is not a weight")]
    [InlineData("(blue:9) heart", "weights go from 0.1 to 3")]
    public async Task Malformed_emphasis_is_refused_with_the_reason_and_writes_nothing(string prompt, string message)
    {
        var (exit, _, error) = await Cli.Run("generate", "--prompt", prompt, "--model", ModelDirectory, "--random-weights", "--out", Path.Combine(root, "z.png"));
        Assert.Equal(1, exit);
        Assert.StartsWith("error: ", error);
        Assert.Contains(message, error);
        Assert.False(File.Exists(Path.Combine(root, "z.png")));
    }

    [Fact]
    public async Task A_missing_prompt_is_a_usage_error()
    {
        var (exit, _, error) = await Cli.Run("generate", "--model", ModelDirectory);
        Assert.NotEqual(0, exit);
        Assert.Contains("--prompt", error);
    }
}
