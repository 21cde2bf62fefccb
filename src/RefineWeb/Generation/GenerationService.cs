using RefineWeb.Engine.Imaging;
using RefineWeb.Engine.Requests;
using RefineWeb.Engine.Text;
using RefineWeb.Gallery;
using RefineWeb.Generation.Queueing;

namespace RefineWeb.Generation;

/// <summary>Why a submission was not queued; null fields when it was. <see cref="SessionQueueFull"/>: this session
/// already has that many jobs waiting (its limit); <see cref="QueueFull"/>: the whole queue is full. <see cref="Events"/>:
/// the job's events from "queued" on, when the submitter asked to follow it.</summary>
public sealed record SubmitResult(GenerationJob? Job, Dictionary<string, string[]>? Errors = null, bool QueueFull = false, string? Unavailable = null,
    int? SessionQueueFull = null, string? RateLimited = null, bool QueueUnreachable = false, IAsyncEnumerable<GenerationEvent>? Events = null)
{
    public const string UnreachableMessage = "The job queue is unreachable right now; nothing was queued. Try again in a few seconds.";

    /// <summary>What to tell a person when nothing was queued for capacity reasons (rate limit, session's share, full
    /// queue, a cluster's queue out of reach); null otherwise.</summary>
    public string? CapacityMessage => RateLimited ?? (SessionQueueFull is { } limit
        ? $"You already have {limit} generations waiting; wait for one to start, then try again."
        : QueueFull ? "The queue is full; try again in a few seconds." : QueueUnreachable ? UnreachableMessage : null);
}

/// <summary>
/// The one way in for the page, the hub and the API: validate, resolve the images a request refers to, then queue.
/// Nothing is queued on bad input.
/// </summary>
public sealed class GenerationService(IGenerationQueue queue, ModelHost models, ImageStore images)
{
    /// <param name="follow">Listen to the job before it is queued (<see cref="SubmitResult.Events"/>): its stream then starts at
    /// "queued" however fast the engine takes it.</param>
    public SubmitResult Submit(Guid owner, GenerationInput? input, bool follow = false)
    {
        var (request, errors) = ImageRequest.Parse(input, models.StageCount);
        return request is null ? new SubmitResult(null, errors) : Enqueue(owner, request, follow);
    }

    /// <summary>Another session's image is "no such image", exactly as a missing one.</summary>
    public async Task<SubmitResult> SubmitRefinementAsync(Guid owner, RefinementInput input)
    {
        if (input is null) return Refused("body", "Send a refinement request.");
        var errors = new ValidationErrors();
        errors.Strength(input.Strength);
        if (input.Feather is < 0 or > GenerationLimits.MaxFeather) errors.Add("feather", $"Feather must be between 0 and {GenerationLimits.MaxFeather} px.");

        var parent = await images.GetAsync(owner, input.ParentImageId ?? "");
        if (parent is null) errors.Add("parentImageId", $"There is no image '{input.ParentImageId}'.");
        else if (!models.Resolutions.Contains(parent.Width) || parent.Width != parent.Height)
            errors.Add("parentImageId", $"The image is {parent.Width}x{parent.Height} px; refine works on {Sizes()} px images (refine an upload at the working size with /api/v1/upscales, mode \"refine\").");

        errors.Regions(input.Regions, input.Prompt);
        bool layout = input.Regions is { Length: > 0 };
        bool[]? mask = null;
        if (input.Mask is not { Length: > 0 })
        {
            if (!layout) errors.Add("mask", "Paint the region to re-refine: the mask is missing.");
        }
        else if (parent is not null && !errors.Has("parentImageId"))
        {
            var (decoded, problem) = MaskImage.Decode(input.Mask, parent.Width, parent.Height);
            if (decoded is null) errors.Add("mask", problem!);
            else if (!decoded.Any(m => m) && !layout) errors.Add("mask", "The mask is empty: paint (white) the region to re-refine.");
            else mask = decoded;
        }
        // A layout re-refines its regions (and what the mask adds): their union at the picture's size.
        if (layout && errors.Count == 0) mask = RegionUnion(input.Regions!, parent!.Width, mask);
        var source = errors.Count == 0 ? await DecodeAsync(owner, parent!.Id) : null;
        if (errors.Count == 0 && source is null) errors.Add("parentImageId", FileGone(parent!.Id));
        var (request, problems) = ImageRequest.Parse(input, errors, models.StageCount, stages: null);
        if (request is null) return new SubmitResult(null, problems);
        if (layout) request = request with { Settings = request.Settings with { Regions = input.Regions } };

        int feather = input.Feather ?? GenerationLimits.DefaultFeather(source!.Width);
        var edit = new ImageEdit(EditKind.RefineRegion, parent!.Id, source!, input.Strength, mask,
            MaskCompositor.Editable(mask!, source!.Width, source.Height, feather), feather, MaskImage.ToPng(mask!, source.Width, source.Height));
        return Enqueue(owner, request with { Edit = edit });
    }

    public async Task<SubmitResult> SubmitUpscaleAsync(Guid owner, UpscaleInput input)
    {
        if (input is null) return Refused("body", "Send an upscale request.");
        var errors = new ValidationErrors();
        if (!Enum.IsDefined(input.Mode)) return Refused("mode", "Mode must be \"upscale\" or \"refine\".");
        if (input.Mode == UpscaleMode.Refine) errors.Strength(input.Strength);
        var image = await images.GetAsync(owner, input.ImageId ?? "");
        if (image is null) errors.Add("imageId", $"There is no image '{input.ImageId}'.");
        int largest = models.Resolutions.LastOrDefault();
        int? entry = null;
        if (image is not null && input.Mode == UpscaleMode.Upscale)
        {
            // The stage to enter at: the largest resolution below the model's last that the picture reaches.
            entry = UpscaleEntry(image.Width, image.Height);
            if (Math.Min(image.Width, image.Height) >= largest)
                errors.Add("imageId", $"The image is {image.Width}x{image.Height} px, already at or above the model's largest size ({largest} px): refine it instead (mode \"refine\").");
            else if (entry is null)
                errors.Add("imageId", $"The image is {image.Width}x{image.Height} px; upscaling starts from at least {models.Resolutions.First()} px.");
        }
        int? stageCount = null;
        if (input.Factor is { } factor)
        {
            if (input.Mode != UpscaleMode.Upscale) errors.Add("factor", "The factor applies to mode \"upscale\"; mode \"refine\" keeps the working size.");
            else if (entry is { } from && !errors.Has("imageId"))
            {
                var factors = UpscaleFactors(from);
                int target = models.Resolutions.ToList().IndexOf(from * factor);
                if (factor < 2 || target < 0) errors.Add("factor", $"A {from} px picture can be upscaled x{string.Join(", x", factors)}; not x{factor}.");
                else stageCount = target + 1;
            }
        }
        var decoded = errors.Count == 0 ? await DecodeAsync(owner, image!.Id) : null;
        if (errors.Count == 0 && decoded is null) errors.Add("imageId", FileGone(image!.Id));
        var (request, problems) = ImageRequest.Parse(input, errors, models.StageCount, stageCount);
        if (request is null) return new SubmitResult(null, problems);

        int size = input.Mode == UpscaleMode.Upscale ? entry!.Value : largest;
        var source = ImageResize.CentreSquare(decoded!, size);
        var edit = input.Mode == UpscaleMode.Upscale
            ? new ImageEdit(EditKind.Upscale, image!.Id, source, 1.0)
            : new ImageEdit(EditKind.RefineWhole, image!.Id, source, input.Strength, Enumerable.Repeat(true, size * size).ToArray(), Enumerable.Repeat(true, size * size).ToArray());
        return Enqueue(owner, request with { Edit = edit });
    }

    /// <summary>
    /// Re-align a finished image with the prompt and layout that made it (its settings), or with
    /// <see cref="RealignmentInput.Prompt"/>: an upload without settings needs one. Another session's image is "no such image".
    /// </summary>
    public async Task<SubmitResult> SubmitRealignmentAsync(Guid owner, RealignmentInput input, bool follow = false)
    {
        if (input is null) return Refused("body", "Send a re-alignment request: {\"imageId\": \"...\"}.");
        var errors = new ValidationErrors();
        var image = await images.GetAsync(owner, input.ImageId ?? "");
        if (image is null) errors.Add("imageId", $"There is no image '{input.ImageId}'.");
        else if (!models.Resolutions.Contains(image.Width) || image.Width != image.Height)
            errors.Add("imageId", $"The image is {image.Width}x{image.Height} px; re-align works on {Sizes()} px images (refine an upload at the working size first with /api/v1/upscales, mode \"refine\").");
        if (models.Model is { Alignment: null }) errors.Add("imageId", "This model has no alignment model to score phrases with; re-aligning needs one.");
        bool ownPrompt = string.IsNullOrWhiteSpace(input.Prompt);
        if (ownPrompt && image is not null && image.Parameters is not { Prompt.Length: > 0 })
            errors.Add("prompt", "This image carries no prompt (an upload without settings): send the prompt it should follow.");
        var source = errors.Count == 0 ? await DecodeAsync(owner, image!.Id) : null;
        if (errors.Count == 0 && source is null) errors.Add("imageId", FileGone(image!.Id));
        // The image's own settings (its layout too), one image, every stage up to its size; a new prompt drops the layout.
        var made = image?.Parameters is { } parameters ? GenerationInput.Of(parameters) : new GenerationInput();
        var settings = made with
        {
            Prompt = ownPrompt ? made.Prompt : input.Prompt!, Seed = input.Seed, Count = 1, Stages = null,
            Regions = ownPrompt ? made.Regions : null,
        };
        if (errors.Count > 0)
        {
            // The prompt's own problems too, so one answer names everything at fault.
            if (!ownPrompt) errors.Prompts(input.Prompt, null);
            return new SubmitResult(null, errors.ToDictionary());
        }
        var (request, problems) = ImageRequest.Parse(settings, models.StageCount);
        if (request is null) return new SubmitResult(null, problems);
        var edit = new ImageEdit(EditKind.Realign, image!.Id, source!, Engine.Pipelines.Cascade.RefinementRequest.DefaultStrength);
        return Enqueue(owner, request with { Edit = edit }, follow);
    }

    /// <summary>Every pixel of a <paramref name="side"/> px picture that a region covers, or the mask has.</summary>
    static bool[] RegionUnion(RegionInput[] regions, int side, bool[]? mask)
    {
        var union = mask is null ? new bool[side * side] : (bool[])mask.Clone();
        foreach (var region in regions)
        {
            var pixels = region.ToPromptRegion().Pixels(side);
            for (int p = 0; p < union.Length; p++) union[p] |= pixels[p];
        }
        return union;
    }

    /// <summary>The stage a picture of this size enters the cascade at (upscale), or null when none fits.</summary>
    public int? UpscaleEntry(int width, int height) =>
        models.Resolutions.SkipLast(1).Where(r => r <= Math.Min(width, height)).Cast<int?>().LastOrDefault();

    /// <summary>The factors a picture entering at <paramref name="entry"/> px can be upscaled by: x2, x4, ... up to the largest stage.</summary>
    public IReadOnlyList<int> UpscaleFactors(int entry) =>
        [.. models.Resolutions.Where(r => r > entry && r % entry == 0).Select(r => r / entry)];

    /// <summary>The session's jobs waiting or running, oldest first.</summary>
    public IReadOnlyList<GenerationJob> Unfinished(Guid owner) => queue.Unfinished(owner);

    /// <summary>The owner's job; another session's is not found.</summary>
    public GenerationJob? Find(Guid owner, string id) => queue.Find(id) is { } job && job.Owner == owner ? job : null;

    SubmitResult Enqueue(Guid owner, ImageRequest request, bool follow = false)
    {
        if (models.LoadError is { } reason) return new SubmitResult(null, Unavailable: reason);
        var job = new GenerationJob(owner, request, Warnings(request));
        var events = follow ? job.Events() : null;
        return queue.TryEnqueue(job) switch
        {
            EnqueueResult.Queued => new SubmitResult(job, Events: events),
            EnqueueResult.SessionFull => new SubmitResult(null, SessionQueueFull: queue.MaxQueuedPerSession),
            EnqueueResult.Unreachable => new SubmitResult(null, QueueUnreachable: true),
            _ => new SubmitResult(null, QueueFull: true),
        };
    }

    /// <summary>Words of the prompts the model does not know (it reads them as "unknown"): said, not refused.</summary>
    IReadOnlyList<string> Warnings(ImageRequest request)
    {
        if (models.Model is not { } model) return [];
        var prompt = model.UnknownWords(request.Emphasis.Text).Select(u => u.Message);
        var negative = model.UnknownWords(request.NegativePrompt).Select(u => "Negative prompt: " + u.Message);
        return [.. prompt, .. negative];
    }

    static SubmitResult Refused(string field, string message) => new(null, new Dictionary<string, string[]> { [field] = [message] });

    static string FileGone(string id) => $"The file of image '{id}' can no longer be read; upload the picture again.";

    string Sizes() => string.Join("/", models.Resolutions);

    /// <summary>The stored picture, or null when its file is gone or damaged.</summary>
    async Task<RgbImage?> DecodeAsync(Guid owner, string id) =>
        await images.ReadPngAsync(owner, id) is { } png ? ImageUpload.Read(png).Image : null;
}
