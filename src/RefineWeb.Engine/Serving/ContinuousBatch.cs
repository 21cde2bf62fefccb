using System.Diagnostics;
using RefineWeb.Engine.Models;
using RefineWeb.Engine.Pipelines.Cascade;
using RefineWeb.Engine.Requests;
using RefineWeb.Engine.Runtime;
using RefineWeb.Engine.Schedulers;
using static TorchSharp.torch;

namespace RefineWeb.Engine.Serving;

/// <summary>
/// Step-level admission (iteration-level scheduling, as language-model servers and vLLM-Omni's diffusion engine do):
/// requests join a running set between two denoising steps instead of waiting for a whole cascade. Each request keeps
/// its own stage, timesteps, sampler state and generators; one <see cref="Step"/> takes one step for every request,
/// one forward pass per stage over the requests at that stage, whatever their step. A request running alone computes
/// exactly what <see cref="ImageEngine.Run"/> does (the same passes in the same order); beside others, the batch's
/// shape may move a few bytes by a level (oneDNN picks its blocking by the rows), as any batching does.
/// Text-to-image requests only (no edit, emphasis or layout: their hooks run with <see cref="ImageEngine.Run"/>).
/// Call it from one thread (the model's).
/// </summary>
public sealed class ContinuousBatch<TKey>(ImageEngine engine) : IDisposable where TKey : notnull
{
    readonly List<Member> members = [];

    /// <summary>The requests running, in the order they joined.</summary>
    public IReadOnlyList<TKey> Keys => [.. members.Select(m => m.Key)];

    public int Count => members.Count;

    /// <summary>Images being made (the requests' seeds).</summary>
    public int Images => members.Sum(m => m.Request.Seeds.Count);

    /// <summary>Whether a request can ever step with others: text to image without emphasis or layout.</summary>
    public static bool CanStep(ImageRequest request) =>
        request.Edit is null && request.Emphasis.Phrases.Count == 0 && request.Settings.Regions is not { Length: > 0 };

    /// <summary>Whether <paramref name="request"/> may join now: it steps, and shares the running requests' sampling settings.</summary>
    public bool CanAdmit(ImageRequest request) =>
        CanStep(request) && (members.Count == 0 || request.CanShareBatchWith(members[0].Request));

    /// <summary>Adds a request at its first stage's first step; it takes that step with the next <see cref="Step"/>.</summary>
    public void Admit(TKey key, ImageRequest request)
    {
        if (!CanAdmit(request)) throw new ArgumentException("This request cannot join the running ones (an edit, emphasis, a layout or other settings).", nameof(request));
        if (members.Any(m => m.Key.Equals(key))) throw new ArgumentException("This key is running already.", nameof(key));
        var pipelineRequest = ImageEngine.PipelineRequest([request]);
        int stages = pipelineRequest.StageCount ?? engine.Model.Stages.Count;
        if (stages < 1 || stages > engine.Model.Stages.Count) throw new ArgumentOutOfRangeException(nameof(request), $"Stage count must be between 1 and {engine.Model.Stages.Count}.");
        var member = new Member(key, request, pipelineRequest, stages, engine.Model);
        try
        {
            member.Enter(0, null);
        }
        catch
        {
            member.Dispose();
            throw;
        }
        members.Add(member);
    }

    /// <summary>Drops a request (cancelled): it takes no more steps. False when it is not running.</summary>
    public bool Remove(TKey key)
    {
        var member = members.FirstOrDefault(m => m.Key.Equals(key));
        if (member is null) return false;
        members.Remove(member);
        member.Dispose();
        return true;
    }

    /// <summary>
    /// One step for every request running: the stages in order, coarsest first (a request just admitted previews
    /// soonest), one forward pass each over the requests at that stage. <paramref name="onStep"/> hears every request's
    /// step as it ends. Returns the requests that finished, with their pictures and scores; they have left the set.
    /// </summary>
    public IReadOnlyList<(TKey Key, EngineResult Result)> Step(Action<ContinuousStep<TKey>>? onStep = null, CancellationToken cancellation = default)
    {
        using var noGrad = no_grad();
        var finished = new List<(TKey, EngineResult)>();
        var byStage = members.GroupBy(m => m.Stage).OrderBy(g => g.Key).Select(g => g.ToList()).ToList();
        foreach (var group in byStage)
        {
            cancellation.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            using var scope = NewDisposeScope();
            var estimates = StepStage(group);
            double milliseconds = clock.Elapsed.TotalMilliseconds;
            int images = group.Sum(m => m.Request.Seeds.Count);
            for (int m = 0; m < group.Count; m++)
            {
                var member = group[m];
                var preview = new StepPreview(member.Stage, member.Stages, member.Config.Name, member.Config.Resolution, member.StepIndex, member.Sampler!.Timesteps.Count, estimates[m]);
                onStep?.Invoke(new ContinuousStep<TKey>(member.Key, new EngineStep(preview), m == 0, images, milliseconds));
                if (member.StepIndex < member.Sampler.Timesteps.Count) continue;
                // The stage is done: the request enters the next one, or has its pictures.
                var image = member.Image();
                if (member.Stage + 1 < member.Stages)
                {
                    member.Enter(member.Stage + 1, image);
                    continue;
                }
                members.Remove(member);
                using (image) finished.Add((member.Key, engine.Results([member.Request], image)[0]));
                member.Dispose();
            }
        }
        return finished;
    }

    /// <summary>One forward pass over the requests at one stage, each at its own timestep; each takes its sampler step. Returns each one's estimate as pictures.</summary>
    List<Tensor> StepStage(List<Member> group)
    {
        var stage = group[0].StageModel;
        var settings = group[0].Settings;
        bool guided = settings.GuidanceScale != 1; // settings are shared: every request of the set samples alike
        var x = cat(group.Select(m => m.Sample!).ToArray(), 0);
        var timesteps = cat(group.Select(m => ScalarArguments.FullOf([m.Request.Seeds.Count], m.Sampler!.Timesteps[m.StepIndex], ScalarType.Int64, x.device)).ToArray(), 0);
        // [cond of every request; uncond of every request], as the cascade lays out one batch.
        TextEncoding text = Rows(group, m => m.Text!, guided);
        Tensor? Twice(Tensor? t) => t is null || !guided ? t : cat([t, t], 0);
        var lowResolution = group[0].LowResolution is null ? null : cat(group.Select(m => m.LowResolution!).ToArray(), 0);
        var noiseLevel = group[0].NoiseLevel is null ? null : cat(group.Select(m => m.NoiseLevel!).ToArray(), 0);
        var output = FiniteForward.Run(() => stage.Denoise(new DenoiserInput(Twice(x)!, Twice(timesteps)!, text, Twice(lowResolution), Twice(noiseLevel))),
            $"Stage '{stage.Config.Name}'");
        var combined = guided ? ClassifierFreeGuidance.CombineBatch(output, settings.GuidanceScale) : output;
        var estimates = new List<Tensor>();
        long row = 0;
        foreach (var member in group)
        {
            long rows = member.Request.Seeds.Count;
            var step = member.Sampler!.Step(combined.narrow(0, row, rows), member.StepIndex, member.Sample!, member.Generators[0]);
            row += rows;
            estimates.Add(member.AsImage(step.PredictedOriginal));
            member.Advance(step.PreviousSample);
        }
        return estimates;
    }

    /// <summary>The requests' text encodings in batch order: every conditional row, then (guided) every unconditional one.</summary>
    static TextEncoding Rows(List<Member> group, Func<Member, TextEncoding> text, bool guided)
    {
        Tensor Part(Func<TextEncoding, Tensor> field, bool unconditional) =>
            cat(group.Select(m => field(text(m)).narrow(0, unconditional ? m.Request.Seeds.Count : 0, m.Request.Seeds.Count)).ToArray(), 0);
        Tensor Field(Func<TextEncoding, Tensor> field) => guided ? cat([Part(field, false), Part(field, true)], 0) : Part(field, false);
        return new TextEncoding(Field(t => t.Tokens), Field(t => t.Mask), Field(t => t.Pooled));
    }

    public void Dispose()
    {
        foreach (var member in members) member.Dispose();
        members.Clear();
    }

    /// <summary>
    /// One request's place in the cascade and the tensors it carries between steps (detached from every dispose scope
    /// on purpose: they outlive the step that made them, and are disposed when replaced or when the request leaves).
    /// </summary>
    sealed class Member(TKey key, ImageRequest request, CascadeRequest pipeline, int stages, Pipelines.CascadeModel model) : IDisposable
    {
        readonly Tensor tokens = Keep(model.Tokenize(pipeline.ConditionalThenUnconditional()));

        public TKey Key { get; } = key;
        public ImageRequest Request { get; } = request;
        public int Stages { get; } = stages;
        public List<Generator> Generators { get; } = [.. pipeline.Seeds.Select(s => new Generator((ulong)s, model.Device))];
        public int Stage { get; private set; }
        public int StepIndex { get; private set; }
        public DiffusionStage StageModel => model.Stages[Stage];
        public StageConfig Config => StageModel.Config;
        public StageSamplingSettings Settings { get; private set; } = null!;
        public IDiffusionSampler? Sampler { get; private set; }
        public Tensor? Sample { get; private set; }
        public TextEncoding? Text { get; private set; }
        public Tensor? Upsampled { get; private set; }
        public Tensor? LowResolution { get; private set; }
        public Tensor? NoiseLevel { get; private set; }

        /// <summary>Starts stage <paramref name="stage"/> from the stage below's pictures (<paramref name="lower"/>, disposed here; null for the base).</summary>
        public void Enter(int stage, Tensor? lower)
        {
            using var scope = NewDisposeScope();
            ReleaseStage();
            Stage = stage;
            StepIndex = 0;
            var config = Config;
            Settings = CascadePipeline.Settings(StageModel, stage, pipeline.StepsPerStage, pipeline.GuidanceScale, pipeline.GuidancePerStage, pipeline.Sampler, pipeline.Eta);
            var schedule = config.Schedule.Create();
            Sampler = SamplerFactory.Create(Settings.Sampler, schedule, Settings.Eta, clipSample: !config.DenoisesResidual);
            double strength = config.UNet.IsRefiner ? Settings.Strength ?? config.RefinerStartStrength : 1.0;
            Sampler.SetTimesteps(Settings.Steps, strength);
            bool guided = Settings.GuidanceScale != 1;
            var encoded = StageModel.EncodeText(guided ? tokens : tokens.narrow(0, 0, Request.Seeds.Count));
            Text = new TextEncoding(Keep(encoded.Tokens), Keep(encoded.Mask), Keep(encoded.Pooled));
            var start = StageSampling.Start(config, schedule, lower, Generators, Sampler.Timesteps[0], strength, model.Device);
            (Sample, Upsampled, LowResolution, NoiseLevel) = (Keep(start.Sample), KeepOrNull(start.Upsampled), KeepOrNull(start.LowResolution), KeepOrNull(start.NoiseLevel));
            lower?.Dispose();
        }

        /// <summary>The sampler's next sample replaces the current one.</summary>
        public void Advance(Tensor next)
        {
            var old = Sample;
            Sample = Keep(next);
            old?.Dispose();
            StepIndex++;
        }

        /// <summary>What the stage denoises as pictures in [-1, 1] (a residual over the upsampled stage below, or the picture).</summary>
        public Tensor AsImage(Tensor denoised) => Config.DenoisesResidual ? Upsampled!.Plus(denoised.Over(Config.ResidualScale)).ClampTo(-1, 1) : denoised;

        /// <summary>The stage's result as pictures, its own tensor kept out of every scope (the next stage's input, or the final pictures).</summary>
        public Tensor Image() => Keep(Config.DenoisesResidual ? AsImage(Sample!) : Sample!.clone());

        static Tensor Keep(Tensor tensor) => tensor.DetachFromDisposeScope();

        static Tensor? KeepOrNull(Tensor? tensor) => tensor?.DetachFromDisposeScope();

        void ReleaseStage()
        {
            Sampler?.Dispose();
            foreach (var tensor in new[] { Sample, Upsampled, LowResolution, NoiseLevel, Text?.Tokens, Text?.Mask, Text?.Pooled }) tensor?.Dispose();
            (Sampler, Sample, Upsampled, LowResolution, NoiseLevel, Text) = (null, null, null, null, null, null);
        }

        public void Dispose()
        {
            ReleaseStage();
            tokens.Dispose();
            foreach (var generator in Generators) generator.Dispose();
        }
    }
}

/// <summary>
/// One request's step in a <see cref="ContinuousBatch{TKey}"/>: where it is (and, during the callback only, its
/// estimate as pictures), and the forward pass it shared: whether this is the first request told of that pass, the
/// images in it and its wall time.
/// </summary>
public sealed record ContinuousStep<TKey>(TKey Key, EngineStep Step, bool FirstOfPass, int PassImages, double PassMilliseconds);
