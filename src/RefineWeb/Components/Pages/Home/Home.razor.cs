using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using RefineWeb.Gallery;
using RefineWeb.Generation;
using RefineWeb.Security;

namespace RefineWeb.Components.Pages.Home;

/// <summary>
/// The generate page: the form, the job it follows (as <see cref="JobView"/>), the editor for a selected image and
/// the session's recent images. Rendering lives in the child components; this class submits and listens.
/// </summary>
public sealed partial class Home : IDisposable
{
    [Inject] GenerationService Generation { get; set; } = null!;
    [Inject] ModelHost Models { get; set; } = null!;
    [Inject] CreationLimiter Limiter { get; set; } = null!;
    [Inject] ImageStore Images { get; set; } = null!;
    [Inject] GalleryNotifier GalleryChanges { get; set; } = null!;
    [Inject] NavigationManager Navigation { get; set; } = null!;
    [Inject] ISnackbar Snackbar { get; set; } = null!;
    [CascadingParameter] Task<AuthenticationState> Authentication { get; set; } = null!;

    const int RecentCount = 12;

    GenerationForm form = new([]);
    Dictionary<string, string[]> errors = [];
    readonly JobView job = new();
    GenerationJob? followed;
    IReadOnlyList<GenerationJob> others = [];
    CancellationTokenSource? listening;
    string? picked; // of several candidates, the one the user keeps: its seed goes into the form
    Guid owner;
    IReadOnlyList<StoredImage> sessionImages = [];
    readonly Dictionary<string, StoredImage> finished = []; // this tab's results, for their lineage
    StoredImage? editing;
    IDisposable? galleryChanges;
    bool interactive; // false while prerendered: a click would go nowhere

    string ResultColumnClass => job.Latest is null ? "results" : "results results-first";

    protected override async Task OnInitializedAsync()
    {
        owner = (await Authentication).User.Owner();
        // Live pages only (not the prerender), and before the first load so that no change falls in between.
        if (RendererInfo.IsInteractive) galleryChanges = GalleryChanges.Subscribe(owner, OnGalleryChangedAsync);
        await Models.Loaded; // loading takes about a second at start-up; the page then says whether it worked
        if (Models.Model is { } model)
            form = new GenerationForm([.. model.Stages.Select(s => new GenerationForm.StageChoice(s.Config.Name, s.Config.Resolution, s.Config.DefaultSteps, s.Config.DefaultGuidanceScale))]);
        await LoadRecentAsync();
        // From the gallery: "?reuse=id" fills the form with that image's settings, "?edit=id" opens it to brush.
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(Navigation.Uri).Query);
        if (query.TryGetValue("reuse", out var reuse) && await Images.GetAsync(owner, reuse.ToString()) is { Parameters: { } parameters })
            form.Restore(parameters);
        if (query.TryGetValue("edit", out var edit)) await SelectAsync(edit.ToString());
        else if (RendererInfo.IsInteractive) ReattachToUnfinished(restoreForm: !query.ContainsKey("reuse"));
    }

    /// <summary>
    /// A job belongs to the session, not to this page: after a reload or in a new tab the page follows the session's
    /// latest job still waiting or running (its prompt and settings back in the form) and lists the others.
    /// </summary>
    void ReattachToUnfinished(bool restoreForm)
    {
        IReadOnlyList<GenerationJob> unfinished;
        try
        {
            unfinished = Generation.Unfinished(owner);
        }
        catch (Exception e) when (ErrorResponses.IsQueueFault(e))
        {
            return; // the queue is out of reach: the page still works, and Generate says so
        }
        if (unfinished is not [.., var latest]) return;
        if (restoreForm)
        {
            if (latest.Request.Edit is null) form.Resume(latest.Request.Settings);
            else form.Prompt = latest.Request.Prompt;
        }
        StartJob(new SubmitResult(latest));
        Snackbar.Add(unfinished.Count == 1 ? "Your generation is still going: following it again."
            : $"You have {unfinished.Count} generations waiting or running: following the latest.", Severity.Info);
    }

    /// <summary>The session's other jobs still waiting or running (another tab's, or ones this page moved on from).</summary>
    void RefreshOthers()
    {
        try
        {
            others = [.. Generation.Unfinished(owner).Where(j => j.Id != followed?.Id)];
        }
        catch (Exception e) when (ErrorResponses.IsQueueFault(e))
        {
            others = [];
        }
    }

    void Follow(GenerationJob other)
    {
        if (!other.Latest.IsFinal) StartJob(new SubmitResult(other));
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (!firstRender) return;
        interactive = true;
        StateHasChanged();
    }

    async Task LoadRecentAsync() => sessionImages = await Images.ListAsync(owner, RecentCount);

    /// <summary>Another tab of this session made or deleted an image.</summary>
    Task OnGalleryChangedAsync() => InvokeAsync(async () =>
    {
        try
        {
            await LoadRecentAsync();
            StateHasChanged();
        }
        catch (Exception e)
        {
            await DispatchExceptionAsync(e);
        }
    });

    /// <summary>A prompt error goes as soon as the prompt is fixed, not at the next Generate (and comes back only then).</summary>
    void OnPromptEdited()
    {
        if (errors.ContainsKey("prompt") && GenerationLimits.PromptError(form.Prompt) is null) errors = errors.Where(e => e.Key != "prompt").ToDictionary();
    }

    void Generate()
    {
        var result = Limiter.TryAcquire(owner) is { Allowed: false } refused
            ? new SubmitResult(null, RateLimited: Limiter.Message(refused.RetryAfter))
            : Generation.Submit(owner, form.ToInput());
        errors = result.Errors ?? [];
        StartJob(result);
    }

    /// <summary>Follows a submitted generation, refinement or upscale; says why when it was not queued.</summary>
    void StartJob(SubmitResult result)
    {
        if (result.Unavailable is { } reason) Snackbar.Add("The model is not loaded: " + reason, Severity.Error);
        if (result.CapacityMessage is { } capacity) Snackbar.Add(capacity, Severity.Warning);
        if (result.Job is not { } started) return;

        listening?.Cancel();
        followed = started;
        job.Start(started, DateTimeOffset.UtcNow);
        picked = null;
        listening = new CancellationTokenSource();
        _ = ListenAsync(started, listening.Token);
        RefreshOthers();
    }

    /// <summary>A dropped PNG of ours brings its settings back into the form.</summary>
    void Restore(ImageParameters parameters)
    {
        form.Restore(parameters);
        Snackbar.Add("Prompt and settings restored from the image.", Severity.Info);
    }

    async Task SelectAsync(string id)
    {
        if (await Images.GetAsync(owner, id) is { } image) editing = image;
        else Snackbar.Add("That image is no longer in your gallery.", Severity.Warning);
    }

    async Task ListenAsync(GenerationJob target, CancellationToken cancellation)
    {
        try
        {
            await foreach (var update in target.Events(cancellation))
            {
                if (update.ImageIds is { } ids)
                {
                    foreach (var id in ids)
                        if (await Images.GetAsync(owner, id) is { } image) finished[id] = image;
                    editing = null; // show the result
                }
                job.Apply(update, DateTimeOffset.UtcNow, id => finished.GetValueOrDefault(id)?.Width ?? 0);
                if (update.Status == GenerationStatus.Failed) Snackbar.Add(update.Error ?? "The generation failed.", Severity.Error);
                if (update.IsFinal) RefreshOthers();
                await InvokeAsync(StateHasChanged);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            await DispatchExceptionAsync(e);
        }
    }

    void Cancel() => followed?.Cancel();

    /// <summary>Keeps one of several candidates: the others fade, and its seed goes into the form to build on.</summary>
    void Pick(string id)
    {
        picked = id;
        if (finished.GetValueOrDefault(id)?.Parameters is { Seed: { } kept }) (form.Seed, form.RandomSeed) = (kept, false);
    }

    public void Dispose()
    {
        galleryChanges?.Dispose();
        listening?.Cancel(); // only this page stops listening: the job is the session's and runs on (Cancel cancels it)
    }
}
