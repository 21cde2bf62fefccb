using System.Globalization;
using RefineWeb.Generation;

namespace RefineWeb.Components.Pages.Home;

/// <summary>
/// What the page shows of the job it follows, made from the job's events alone (no component, no browser): the
/// headline, the time estimates, the bar, the forming pictures and each stage's latest picture, then the results.
/// </summary>
public sealed class JobView
{
    /// <summary>The first image as one stage left it: every stage shows up in the strip even when it streamed by too fast to see.</summary>
    public sealed record StageFrame(string Name, int Resolution, string Source);

    readonly SortedDictionary<int, StageFrame> stageFrames = [];

    public GenerationEvent? Latest { get; private set; }
    public long? Seed { get; private set; }
    /// <summary>The pictures in the grid: data URLs of the latest step's estimates, then the finished PNGs' URLs.</summary>
    public IReadOnlyList<string> Pictures { get; private set; } = [];
    /// <summary>The side of the pictures in the grid: the stage's while forming, the result's when done.</summary>
    public int PictureSide { get; private set; }
    public IEnumerable<StageFrame> StageFrames => stageFrames.Values;
    public int StageCount { get; private set; }
    public IReadOnlyList<string>? ImageIds { get; private set; }
    public IReadOnlyList<ImageScore>? Scores { get; private set; }
    /// <summary>A finished re-alignment's account, phrase by phrase; null for every other job.</summary>
    public IReadOnlyList<Engine.Pipelines.Realign.PhraseRealignment>? Realignment { get; private set; }
    public DateTimeOffset StartedAt { get; private set; }
    /// <summary>The job's layout (prompts by region); null without one.</summary>
    public RegionInput[]? Regions { get; private set; }
    public DateTimeOffset? FinishedAt { get; private set; }

    public bool Running => Latest is { IsFinal: false };
    public bool Stopped => Latest?.Status is GenerationStatus.Cancelled or GenerationStatus.Failed;
    /// <summary>The strip of stages is worth showing once more than one stage runs.</summary>
    public bool ShowsStages => stageFrames.Count > 0 && StageCount > 1;

    /// <summary>Starts following a new job: nothing of the previous one lingers.</summary>
    public void Start(GenerationJob job, DateTimeOffset now)
    {
        Latest = job.Latest;
        LatestAt = now;
        Seed = job.Seeds[0];
        Regions = job.Request.Settings.Regions is { Length: > 0 } regions ? regions : null;
        Pictures = [];
        PictureSide = 0;
        stageFrames.Clear();
        StageCount = 0;
        ImageIds = null;
        Scores = null;
        Realignment = null;
        StartedAt = now;
        FinishedAt = null;
    }

    /// <summary>Takes one event in. <paramref name="sideOf"/> gives a finished image's width (0 if unknown).</summary>
    public void Apply(GenerationEvent update, DateTimeOffset now, Func<string, int>? sideOf = null)
    {
        Latest = update;
        LatestAt = GenerationJob.MadeAt(update, now); // counts down from when the engine said it
        if (update.IsFinal) FinishedAt = now;
        if (update.Previews is { } images)
        {
            Pictures = [.. images.Select(DataUrl)];
            if (update.Resolution is { } side) PictureSide = side;
            if (update is { StageIndex: { } stage, StageCount: { } stages, Resolution: { } resolution } && images.Count > 0)
            {
                stageFrames[stage] = new StageFrame(update.StageName ?? "", resolution, Pictures[0]);
                StageCount = stages;
            }
        }
        if (update.ImageIds is { } ids)
        {
            ImageIds = ids;
            Scores = update.Scores;
            Realignment = update.Realignment;
            PictureSide = ids.Select(id => sideOf?.Invoke(id) ?? 0).DefaultIfEmpty(PictureSide).Max();
            Pictures = [.. ids.Select(Paths.ImagePng)]; // the finished PNGs themselves, not the last step's estimate
        }
    }

    /// <summary>The bar: the share of the job's time done (the engine weighs each step by its stage's step time).</summary>
    public double ProgressPercent => (Latest?.Progress ?? 0) * 100;

    /// <summary>What is happening, in words.</summary>
    public string Headline => Latest switch
    {
        null => "",
        { Status: GenerationStatus.Queued, JobsAhead: > 0 and var ahead } => $"Queued: {ahead} ahead of you",
        { Status: GenerationStatus.Queued, JobsAhead: null, QueuePosition: > 0 and var place } => $"Queued: {place} ahead of you",
        { Status: GenerationStatus.Queued } => "Next in line",
        { Status: GenerationStatus.Running, StageName: { } name } u => $"{name} ({u.Resolution} px): step {u.Step}/{u.TotalSteps}",
        { Status: GenerationStatus.Running } => "Encoding the prompt...",
        { Status: GenerationStatus.Succeeded } => $"Done in {Seconds(((FinishedAt ?? StartedAt) - StartedAt).TotalSeconds)}, seed {Seed}",
        { Status: GenerationStatus.Cancelled, StageName: { } name } u => $"Cancelled at {name} ({u.Resolution} px), step {u.Step}/{u.TotalSteps}: the last estimate is shown",
        { Status: GenerationStatus.Cancelled } => "Cancelled before it started",
        _ => "Failed",
    };

    /// <summary>
    /// The wait and the work told apart: "about 3 s until it starts" while queued, "about 2.1 s left" while running,
    /// both from the engine's measured step times; empty while it has measured nothing yet.
    /// </summary>
    public string TimeLeft => TimeLeftAt(LatestAt);

    /// <summary>
    /// <see cref="TimeLeft"/> counted down to <paramref name="now"/> since the event that gave it (the page re-renders
    /// every second), so it moves between events; past zero it says what is happening instead of "0.0 s".
    /// </summary>
    public string TimeLeftAt(DateTimeOffset now)
    {
        double since = Math.Max(0, (now - LatestAt).TotalSeconds);
        return Latest switch
        {
            { Status: GenerationStatus.Queued, SecondsUntilStart: { } wait } when wait - since >= 0.5 => $"about {Seconds(wait - since)} until it starts",
            { Status: GenerationStatus.Queued, SecondsUntilStart: not null } => "starting any moment",
            { Status: GenerationStatus.Running, SecondsLeft: { } left } when left - since >= 0.5 => $"about {Seconds(left - since)} left",
            { Status: GenerationStatus.Running, SecondsLeft: not null } => "finishing",
            _ => "",
        };
    }

    /// <summary>When the latest event arrived: the countdown starts from there.</summary>
    public DateTimeOffset LatestAt { get; private set; }

    static string Seconds(double seconds) => seconds < 10
        ? $"{Math.Max(0, seconds).ToString("0.0", CultureInfo.InvariantCulture)} s"
        : $"{Math.Round(seconds).ToString(CultureInfo.InvariantCulture)} s";

    static string DataUrl(byte[] png) => "data:image/png;base64," + Convert.ToBase64String(png);
}
