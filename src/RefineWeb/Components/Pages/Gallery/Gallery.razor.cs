using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using RefineWeb.Gallery;
using RefineWeb.Generation;

namespace RefineWeb.Components.Pages.Gallery;

/// <summary>The session's gallery: its images newest first, filtered by prompt and origin, with lineage, share links and access tokens; live as images arrive.</summary>
public partial class Gallery
{
    [CascadingParameter] Task<AuthenticationState> Authentication { get; set; } = null!;

    Guid owner;
    bool loaded, interactive;
    IReadOnlyList<StoredImage> images = []; // those the filter shows
    int total; // all of the session's images
    Dictionary<string, StoredImage> byId = []; // all of them, for lineage chains across the filter
    IReadOnlyList<ShareLink> links = [];
    string? search;
    ImageOrigin? origin;

    GalleryFilter Filter => new(search, origin);
    string CountText => Filter.IsEmpty || images.Count == total ? CountOf(total) : $"{images.Count} of {CountOf(total)}";
    static string CountOf(int n) => n == 1 ? "1 image" : $"{n} images";

    protected override async Task OnInitializedAsync()
    {
        owner = (await Authentication).User.Owner();
        // Live pages only (not the prerender), and before the first load so that no change falls in between.
        if (RendererInfo.IsInteractive) galleryChanges = GalleryChanges.Subscribe(owner, OnGalleryChangedAsync);
        await LoadAsync();
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (!firstRender) return;
        interactive = true;
        StateHasChanged();
    }

    async Task LoadAsync()
    {
        var all = await Images.ListAsync(owner);
        total = all.Count;
        byId = all.ToDictionary(i => i.Id);
        images = Filter.IsEmpty ? all : await Images.ListAsync(owner, filter: Filter);
        links = await Shares.ListAsync(owner);
        loaded = true;
    }

    async Task SearchAsync(string? text)
    {
        search = text;
        images = Filter.IsEmpty ? [.. byId.Values.OrderByDescending(i => i.CreatedAt).ThenByDescending(i => i.Id)] : await Images.ListAsync(owner, filter: Filter);
    }

    async Task FilterAsync(ImageOrigin? kind)
    {
        origin = kind;
        await SearchAsync(search);
    }

    /// <summary>An image finished in another tab of this session (or was deleted there): show it without a reload.</summary>
    Task OnGalleryChangedAsync() => InvokeAsync(async () =>
    {
        try
        {
            await LoadAsync();
            StateHasChanged();
        }
        catch (Exception e)
        {
            await DispatchExceptionAsync(e);
        }
    });

    IDisposable? galleryChanges;

    IReadOnlyList<StoredImage> AncestorsOf(StoredImage image)
    {
        var chain = new List<StoredImage>();
        for (var parent = image.ParentId; parent is not null && chain.Count < 8 && byId.TryGetValue(parent, out var ancestor); parent = ancestor.ParentId)
            chain.Add(ancestor);
        return chain;
    }

    Task OpenAsync(StoredImage image) =>
        Dialogs.ShowAsync<ImageDialog>(ImageSummary.Title(image), new DialogParameters<ImageDialog> { { d => d.Image, image } },
            new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true, CloseButton = true, CloseOnEscapeKey = true });

    Task ShareImageAsync(StoredImage image) => ShareAsync(image.Id, "Share this image",
        "Anyone with this link can see this image, read-only, without signing in.");

    /// <summary>The whole gallery, uploads included: said before the link exists, since an upload may be a private photo.</summary>
    async Task ShareGalleryAsync()
    {
        int uploads = byId.Values.Count(i => i.Origin == ImageOrigin.Uploaded);
        var includes = uploads == 0 ? "" : $" That includes {(uploads == 1 ? "the picture" : $"the {uploads} pictures")} you uploaded.";
        if (uploads > 0)
        {
            bool? confirmed = await Dialogs.ShowMessageBoxAsync("Share your whole gallery?",
                $"The link shows all {CountOf(total)} in your gallery now.{includes} To share only some, share them one by one.",
                yesText: "Create the link", cancelText: "Cancel");
            if (confirmed != true) return;
        }
        await ShareAsync(null, "Share your gallery",
            $"Anyone with this link can see the {CountOf(total)} in your gallery now, read-only.{includes} Images you make later are not included.");
    }

    async Task ShareAsync(string? imageId, string title, string explanation)
    {
        var link = await Shares.CreateAsync(owner, imageId);
        if (link is null)
        {
            Snackbar.Add("That image is no longer in your gallery.", Severity.Warning);
            return;
        }
        links = await Shares.ListAsync(owner);
        var url = Navigation.ToAbsoluteUri(link.Path!).ToString();
        await Dialogs.ShowAsync<ShareLinkDialog>(title, new DialogParameters<ShareLinkDialog>
        {
            { d => d.Url, url }, { d => d.Title, title }, { d => d.Explanation, explanation },
        }, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true, CloseOnEscapeKey = true });
    }

    async Task RevokeAsync(ShareLink link)
    {
        bool? confirmed = await Dialogs.ShowMessageBoxAsync("Revoke this share link?",
            "Anyone who has it loses access at once, and it cannot be turned back on (you can make a new link).",
            yesText: "Revoke", cancelText: "Keep it");
        if (confirmed != true) return;
        if (await Shares.RevokeAsync(owner, link.Id)) Snackbar.Add("The link no longer works.", Severity.Success);
        links = await Shares.ListAsync(owner);
    }

    async Task DeleteAsync(StoredImage image)
    {
        bool? confirmed = await Dialogs.ShowMessageBoxAsync("Delete this image?",
            "It is removed from your gallery, its share links stop working, and images refined from it lose the link back to it.",
            yesText: "Delete", cancelText: "Keep it");
        if (confirmed != true) return;
        if (!await Images.DeleteAsync(owner, image.Id)) Snackbar.Add("It was already deleted.", Severity.Info);
        await LoadAsync();
    }

    public void Dispose() => galleryChanges?.Dispose();
}
