using RefineWeb.Engine.Text;
using RefineWeb.Engine.Training;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Tests.Training;

public sealed class ImageBankTests(SyntheticBank synthetic) : IClassFixture<SyntheticBank>
{
    TempDirectory Temp => synthetic.Directory;
    WordTokenizer Tokenizer => synthetic.Tokenizer;
    ImageBank Bank => synthetic.Bank;

    [Fact]
    public void Images_come_back_as_decoded_pixels_and_lower_resolutions_are_box_filtered()
    {
        using var scope = NewDisposeScope();
        var index = tensor(new long[] { 0 }); // red circle: centre red, corner white
        var full = Bank.ImagesAt(index, 64);
        Assert.Equal(new long[] { 1, 3, 64, 64 }, full.shape);
        Assert.Equal(new[] { 1f, -1f, -1f }, full[0, .., 32, 32].data<float>().ToArray());
        Assert.Equal(new[] { 1f, 1f, 1f }, full[0, .., 0, 0].data<float>().ToArray());

        var quarter = Bank.ImagesAt(index, 16);
        var expected = full[0, 0, TensorIndex.Slice(20, 24), TensorIndex.Slice(8, 12)].mean().item<float>();
        Assert.Equal(expected, quarter[0, 0, 5, 2].item<float>(), 5);
    }

    [Fact]
    public void Captions_are_one_of_the_example_s_own_and_dropout_gives_the_empty_caption()
    {
        using var scope = NewDisposeScope();
        var indices = tensor(Enumerable.Range(0, Bank.Count).Select(i => (long)i).ToArray());
        using var generator = new Generator(3);
        var captions = Bank.Captions(indices, generator);
        for (int i = 0; i < Bank.Count; i++)
        {
            var text = Tokenizer.Decode(captions[i].data<long>().Select(id => (int)id));
            Assert.Contains(text, Bank.Examples[i].Captions);
        }
        var dropped = Bank.Captions(indices, generator, dropProbability: 0.999999);
        var empty = Tokenizer.Encode("").Ids.Select(id => (long)id).ToArray();
        for (int i = 0; i < Bank.Count; i++) Assert.Equal(empty, dropped[i].data<long>().ToArray());
    }

    [Fact]
    public void Wrong_sized_or_missing_images_are_refused_naming_the_file()
    {
        var examples = SyntheticImages.Write(System.IO.Directory.CreateDirectory(Temp.File("small")).FullName, size: 32);
        var error = Assert.Throws<InvalidDataException>(() => ImageBank.Load(examples, Tokenizer));
        Assert.Contains("is 32x32; the training set is 64x64", error.Message);

        var missing = Assert.Throws<FileNotFoundException>(() => ImageBank.Load([examples[0] with { ImagePath = Temp.File("nope.png") }], Tokenizer));
        Assert.Contains("nope.png", missing.Message);
    }

    [Fact]
    public void Balanced_draws_give_every_group_the_same_share_and_repeat_with_the_seed()
    {
        using var scope = NewDisposeScope();
        // The three red images form one group; the nine others are groups of their own: ten groups.
        var examples = Bank.Examples.Select(e => e.Id.StartsWith("red-") ? e with { Group = "red" } : e).ToList();
        using var balanced = ImageBank.Load(examples, Tokenizer, balanceGroups: true);
        const int draws = 20_000;

        double RedShare(ImageBank bank, ulong seed)
        {
            using var generator = new Generator(seed);
            var indices = bank.SampleIndices(draws, generator).data<long>().ToArray();
            return indices.Count(i => Bank.Examples[(int)i].Id.StartsWith("red-")) / (double)draws;
        }

        Assert.InRange(RedShare(balanced, 5), 0.085, 0.115); // 1 of 10 groups
        Assert.InRange(RedShare(Bank, 5), 0.235, 0.265);     // uniform: 3 of 12 images
        using var first = new Generator(9);
        using var second = new Generator(9);
        Assert.Equal(balanced.SampleIndices(64, first).data<long>().ToArray(), balanced.SampleIndices(64, second).data<long>().ToArray());
    }
}
