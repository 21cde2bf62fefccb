using System.Text.Json;
using RefineWeb.Datasets.Colour;
using RefineWeb.Datasets.Emoji;
using RefineWeb.Datasets.Packages;
using RefineWeb.Datasets.Tools;

namespace RefineWeb.Datasets;

/// <summary>
/// Makes the emoji training set: fetches the caption and image packages with npm pack, rasterizes vector art with
/// rsvg-convert, writes every image as an opaque 64 px PNG on white (plus 256 px renders of each style's vector art and
/// their 128 px box downsampling), splits train /
/// validation, optionally adds recoloured copies (<see cref="RecolouredCopies"/>), and writes manifest.jsonl last, atomically, so a failed build never leaves a manifest that points at
/// missing images. Images already written are kept, so an interrupted build resumes.
/// </summary>
public sealed class DatasetBuilder(DatasetBuildOptions options, Action<string>? log = null)
{
    public const string ManifestName = "manifest.jsonl";

    static readonly ExternalTool RsvgConvert = new("rsvg-convert", "Install librsvg2-bin (on Debian: sudo apt-get install -y librsvg2-bin).");

    public async Task<IReadOnlyList<DatasetRecord>> BuildAsync(CancellationToken cancellation = default)
    {
        var extracted = Path.Combine(options.PackageCache, "extracted");
        var captionsPackage = await PrepareAsync(EmojiStyle.Captions, extracted, cancellation);
        var catalog = EmojiCatalog.Load(captionsPackage);
        if (options.Limit is { } limit) catalog = catalog.Take(limit).ToList();
        log?.Invoke($"{catalog.Count} emoji names from {EmojiStyle.Captions.Name}@{EmojiStyle.Captions.Version}");

        var jobs = new List<ImageJob>();
        foreach (var style in options.Styles)
        {
            var package = await PrepareAsync(style.Package, extracted, cancellation);
            var sources = style.IsVectorOnly
                ? EmojiImageSources.FromFluent(package, catalog)
                : EmojiImageSources.FromEmojiDatasource(package, style == EmojiStyle.Twemoji ? "twitter" : "google");
            var vectors = style.IsVectorOnly ? sources : await VectorSourcesAsync(style.Vector, catalog, extracted, cancellation);
            int before = jobs.Count;
            jobs.AddRange(catalog.Where(e => sources.ContainsKey(e.Hexcode))
                .Select(e => new ImageJob(e, style, sources[e.Hexcode], vectors.GetValueOrDefault(e.Hexcode))));
            log?.Invoke($"{style.Word}: {jobs.Count - before} images in {style.Package.Name}@{style.Package.Version}, "
                + $"{jobs.Skip(before).Count(j => j.Vector is not null)} of them also as vector art in {style.Vector.Package.Name}@{style.Vector.Package.Version}");
        }

        int done = 0;
        var records = new DatasetRecord[jobs.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, jobs.Count),
            new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellation },
            async (i, token) =>
            {
                records[i] = await WriteImagesAsync(jobs[i], token);
                int count = Interlocked.Increment(ref done);
                if (count % 500 == 0) log?.Invoke($"{count}/{jobs.Count} images");
            });

        var split = DatasetSplit.Assign(records, options.ValidationShare);
        var recoloured = RecolouredCopies.Make(split, options.OutputDirectory, options.RecolourCopies, options.RecolourSeed, options.Parallelism);
        if (options.RecolourCopies > 0)
            log?.Invoke($"{recoloured.Count} recoloured copies of {recoloured.Select(r => r.Parent).Distinct().Count()} training images (seed {options.RecolourSeed})");
        var all = split.Concat(recoloured).ToList();
        WriteManifest(all);
        log?.Invoke($"{all.Count} images ({all.Count(r => r.Split == DatasetRecord.Validation)} validation) -> {Path.Combine(options.OutputDirectory, ManifestName)}");
        return all;
    }

    async Task<string> PrepareAsync(NpmPackage package, string extracted, CancellationToken cancellation)
    {
        var tarball = await package.FetchAsync(options.PackageCache, cancellation);
        return await NpmPackage.ExtractAsync(tarball, Path.Combine(extracted, Path.GetFileNameWithoutExtension(tarball)), cancellation);
    }

    /// <summary>One emoji in one style: its 64 px source and, where the style's vector art has it, its SVG.</summary>
    sealed record ImageJob(EmojiEntry Entry, EmojiStyle Style, EmojiImageSource Source, EmojiImageSource? Vector);

    async Task<Dictionary<string, EmojiImageSource>> VectorSourcesAsync(VectorArt vector, IReadOnlyList<EmojiEntry> catalog, string extracted, CancellationToken cancellation)
    {
        var package = await PrepareAsync(vector.Package, extracted, cancellation);
        return vector.Layout switch
        {
            VectorLayout.CodePointFiles => EmojiImageSources.FromCodePointFiles(package),
            VectorLayout.Iconify => IconifyIcons.Extract(package, Path.Combine(Path.GetDirectoryName(package)!, "svg")),
            _ => EmojiImageSources.FromFluent(package, catalog),
        };
    }

    async Task<DatasetRecord> WriteImagesAsync(ImageJob job, CancellationToken cancellation)
    {
        var (entry, style) = (job.Entry, job.Style);
        var image = $"images/{style.Word}/{entry.Hexcode}.png";
        await WriteAsync(job.Source, 64, image, cancellation);

        List<DatasetImage> larger = [];
        if (job.Vector is { } vector)
        {
            // One render at 256 px is the source of truth; 128 px is its box downsampling.
            var image256 = $"images256/{style.Word}/{entry.Hexcode}.png";
            var image128 = $"images128/{style.Word}/{entry.Hexcode}.png";
            await WriteAsync(vector, 256, image256, cancellation);
            var destination128 = Path.Combine(options.OutputDirectory, image128);
            if (!File.Exists(destination128)) EmojiPng.WriteBoxDownsampled(Path.Combine(options.OutputDirectory, image256), destination128);
            var source = $"{style.Vector.Package.Name}@{style.Vector.Package.Version}";
            larger = [new(128, image128, source, style.Vector.ImageLicense), new(256, image256, source, style.Vector.ImageLicense)];
        }

        var keywords = entry.Keywords.Where(k => !entry.Label.Contains(k, StringComparison.OrdinalIgnoreCase)).ToList();
        return new DatasetRecord
        {
            Id = $"{style.Word}/{entry.Hexcode}",
            Hexcode = entry.Hexcode,
            Style = style.Word,
            Image = image,
            HighResolution = larger,
            Label = entry.Label,
            Captions = [entry.Label, keywords.Count > 0 ? $"{entry.Label}, {string.Join(", ", keywords)}" : entry.Label, $"{style.Word} {entry.Label}"],
            SourcePackage = $"{style.Package.Name}@{style.Package.Version}",
            License = style.ImageLicense,
            Split = DatasetRecord.Train,
            Category = entry.Category,
            Colour = ColourPalette.Dominant(EmojiPng.ReadRgba(Path.Combine(options.OutputDirectory, image)).Rgba),
        };
    }

    async Task WriteAsync(EmojiImageSource source, int side, string relative, CancellationToken cancellation)
    {
        var destination = Path.Combine(options.OutputDirectory, relative);
        if (File.Exists(destination)) return;
        byte[] bytes;
        if (source.IsSvg)
        {
            var rasterized = destination + ".svg.png";
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            await RsvgConvert.RunAsync(["-w", side.ToString(), "-h", side.ToString(), "-a", "-o", rasterized, source.Path], cancellation: cancellation);
            bytes = await File.ReadAllBytesAsync(rasterized, cancellation);
            File.Delete(rasterized);
        }
        else
        {
            bytes = await File.ReadAllBytesAsync(source.Path, cancellation);
        }
        EmojiPng.WriteOnWhite(bytes, side, destination);
    }

    void WriteManifest(IReadOnlyList<DatasetRecord> records)
    {
        Directory.CreateDirectory(options.OutputDirectory);
        var path = Path.Combine(options.OutputDirectory, ManifestName);
        var temporary = path + ".tmp";
        File.WriteAllLines(temporary, records.OrderBy(r => r.Id, StringComparer.Ordinal).Select(r => JsonSerializer.Serialize(r, DatasetRecord.Json)));
        File.Move(temporary, path, overwrite: true);
    }
}
