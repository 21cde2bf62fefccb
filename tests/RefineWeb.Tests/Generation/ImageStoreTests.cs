using RefineWeb.Generation;

namespace RefineWeb.Tests.Generation;

public sealed class ImageStoreTests
{
    [Fact]
    public void The_oldest_images_go_once_the_byte_budget_is_spent_and_the_newest_stays()
    {
        var store = new ImageStore();
        var lineage = new ImageLineage(ImageOrigin.Uploaded);
        var ids = Enumerable.Range(0, 30).Select(_ => store.Add(new byte[10 * 1024 * 1024], 2048, 2048, lineage)).ToList();
        Assert.InRange(store.Count, 20, 25); // 256 MB of 10 MB uploads
        Assert.Null(store.Get(ids[0]));
        Assert.NotNull(store.Get(ids[^1]));
    }
}
