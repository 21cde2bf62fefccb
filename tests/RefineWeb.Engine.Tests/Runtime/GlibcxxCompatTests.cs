using RefineWeb.Build;

namespace RefineWeb.Engine.Tests.Runtime;

public class GlibcxxCompatTests
{
    const string Needed = PatchLibTorchSharpForSystemLibStdCxx.NeededVersion;

    static string PackageLibrary()
    {
        var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var path = Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(path), $"TorchSharp's native library should be in the package cache at {path}");
        return path;
    }

    static string OutputLibrary() =>
        Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    [Fact]
    public void Shipped_library_needs_the_version_strongly()
    {
        var need = Assert.Single(ElfVersionNeeds.ReadVersionNeeds(File.ReadAllBytes(PackageLibrary())), n => n.Version == Needed);
        Assert.Equal("libstdc++.so.6", need.File);
        Assert.False(need.IsWeak);
    }

    [Fact]
    public void Patch_marks_only_that_need_weak_and_is_idempotent()
    {
        var copy = Path.Combine(Path.GetTempPath(), $"libLibTorchSharp-{Guid.NewGuid():N}.so");
        File.Copy(PackageLibrary(), copy);
        try
        {
            var before = File.ReadAllBytes(copy);
            Assert.True(ElfVersionNeeds.MarkVersionNeedWeak(copy, Needed));
            var after = File.ReadAllBytes(copy);

            var needsBefore = ElfVersionNeeds.ReadVersionNeeds(before);
            var needsAfter = ElfVersionNeeds.ReadVersionNeeds(after);
            Assert.Equal(needsBefore.Select(n => (n.File, n.Version)), needsAfter.Select(n => (n.File, n.Version)));
            foreach (var (b, a) in needsBefore.Zip(needsAfter))
                Assert.Equal(b.Version == Needed ? (ushort)(b.Flags | ElfVersionNeeds.VerFlgWeak) : b.Flags, a.Flags);
            // Only the low byte of one vna_flags field changed (0 -> VER_FLG_WEAK).
            var changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToList();
            Assert.Single(changed);

            Assert.False(ElfVersionNeeds.MarkVersionNeedWeak(copy, Needed));
            Assert.Equal(after, File.ReadAllBytes(copy));
        }
        finally
        {
            File.Delete(copy);
        }
    }

    [Fact]
    public void Build_output_is_patched_exactly_when_the_system_lacks_the_version()
    {
        var system = ElfVersionNeeds.FindSystemLibStdCxx();
        Assert.NotNull(system);
        var defined = ElfVersionNeeds.ReadVersionDefinitions(File.ReadAllBytes(system));
        Assert.Contains("GLIBCXX_3.4.20", defined); // the parser reads real version definitions

        var need = Assert.Single(ElfVersionNeeds.ReadVersionNeeds(File.ReadAllBytes(OutputLibrary())), n => n.Version == Needed);
        Assert.Equal(!defined.Contains(Needed), need.IsWeak);
    }

    [Fact]
    public void Non_elf_input_is_refused_with_a_message()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, "not a library");
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.MarkVersionNeedWeak(path, Needed));
            Assert.Contains("ELF", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
