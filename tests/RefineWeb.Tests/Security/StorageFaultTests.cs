using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using static RefineWeb.Tests.Security.HostileRequests;

namespace RefineWeb.Tests.Security;

/// <summary>
/// Finding 1, storage half: upload, share and delete while the image folder or the database cannot be written
/// answer 503 with a ProblemDetails and leave files and rows as they were. The faults are real filesystem and
/// database states (the tests run as root, which permissions do not stop): the image folder replaced by a plain file
/// (nothing can be created in it), a directory standing where a delete must move a file (the rename fails), the
/// database held under an exclusive lock by another connection.
/// </summary>
public sealed class StorageFaultTests : IAsyncLifetime
{
    TinyModelApp app = null!;
    string Images => Path.Combine(app.Factory.DataDirectory, "images");
    string Database => Path.Combine(app.Factory.DataDirectory, "gallery.db");

    // A short busy timeout: a locked database fails the request in a second instead of thirty.
    public async Task InitializeAsync() => app = await TinyModelApp.StartAsync(new Dictionary<string, string>
    {
        ["ConnectionStrings:Gallery"] = $"Data Source={RefineWebFactory.DataPlaceholder}/gallery.db;Default Timeout=1",
    });

    public async Task DisposeAsync() => await app.DisposeAsync();

    /// <summary>Makes the image folder unwritable (a file where the folder was) while <paramref name="action"/> runs.</summary>
    async Task WithImageFolderBrokenAsync(Func<Task> action)
    {
        var real = Images + ".real";
        if (Directory.Exists(Images)) Directory.Move(Images, real);
        else Directory.CreateDirectory(real);
        await File.WriteAllTextAsync(Images, "not a folder");
        try
        {
            await action();
        }
        finally
        {
            File.Delete(Images);
            Directory.Move(real, Images);
        }
    }

    async Task WithDatabaseLockedAsync(Func<Task> action)
    {
        await using var holder = new SqliteConnection($"Data Source={Database};Pooling=False");
        await holder.OpenAsync();
        await using (var exclusive = holder.CreateCommand())
        {
            exclusive.CommandText = "PRAGMA busy_timeout=0; BEGIN EXCLUSIVE;";
            await exclusive.ExecuteNonQueryAsync();
        }
        try
        {
            await action();
        }
        finally
        {
            await using var rollback = holder.CreateCommand();
            rollback.CommandText = "ROLLBACK;";
            await rollback.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task An_upload_while_the_image_folder_cannot_be_written_is_503_and_leaves_no_row()
    {
        await WithImageFolderBrokenAsync(async () =>
        {
            using var response = await UploadAsync(app.Client, Png(16, 16, SkiaSharp.SKColors.Red));
            await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        });
        Assert.Equal(0, await GalleryCountAsync(app.Client));
        Assert.Equal(0, ImageFiles(app.Factory.DataDirectory));
    }

    [Fact]
    public async Task An_upload_or_a_share_while_the_database_is_locked_is_503_and_leaves_no_file()
    {
        var image = await UploadIdAsync(app.Client, Png(16, 16, SkiaSharp.SKColors.Blue));
        await WithDatabaseLockedAsync(async () =>
        {
            using (var upload = await UploadAsync(app.Client, Png(16, 16, SkiaSharp.SKColors.Red)))
                await AssertProblemAsync(upload, HttpStatusCode.ServiceUnavailable);
            using (var share = await app.Client.PostAsJsonAsync("/api/v1/shares", new { imageId = image }))
                await AssertProblemAsync(share, HttpStatusCode.ServiceUnavailable);
        });
        Assert.Equal(1, await GalleryCountAsync(app.Client));
        Assert.Equal(1, ImageFiles(app.Factory.DataDirectory)); // the red upload's file went with its failed row
        Assert.Equal("[]", await app.Client.GetStringAsync("/api/v1/shares"));
    }

    [Fact]
    public async Task A_delete_that_cannot_remove_the_file_or_commit_changes_nothing()
    {
        var image = await UploadIdAsync(app.Client, Png(16, 16, SkiaSharp.SKColors.Green));
        var file = Directory.EnumerateFiles(Images, "*.png", SearchOption.AllDirectories).Single();
        var blocker = Directory.CreateDirectory(file + ".deleting"); // where the delete moves the file before it commits
        using (var response = await app.Client.DeleteAsync($"/api/v1/images/{image}"))
            await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        blocker.Delete();
        await WithDatabaseLockedAsync(async () =>
        {
            using var response = await app.Client.DeleteAsync($"/api/v1/images/{image}");
            await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        });
        // Row and file are both still there, and the picture still reads.
        Assert.Equal(1, await GalleryCountAsync(app.Client));
        Assert.Equal(1, ImageFiles(app.Factory.DataDirectory));
        Assert.NotEmpty(await app.Client.GetByteArrayAsync($"/api/v1/images/{image}.png"));
        using var deleted = await app.Client.DeleteAsync($"/api/v1/images/{image}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(0, ImageFiles(app.Factory.DataDirectory));
    }
}
