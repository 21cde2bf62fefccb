// GLIBCXX compatibility for TorchSharp's native library on Debian 12 / Ubuntu 22.04.
// libLibTorchSharp.so (TorchSharp 0.107) was linked with GCC 13 and declares a need for GLIBCXX_3.4.32, whose only
// symbol it binds (_ZSt21ios_base_library_initv) is never relocated against. Marking that need weak lets glibc's
// loader accept the library on systems whose libstdc++ stops at 3.4.30.
// Written by hand: no package served here reads or edits .gnu.version_r / .gnu.version_d.
// One file, compiled by RoslynCodeTaskFactory (build/GlibcxxCompat.targets) and by the engine tests, so it sticks to
// C# that the task factory compiles against netstandard (no nullable annotations, no newer syntax).
#nullable disable
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace RefineWeb.Build
{
    /// <summary>One Vernaux entry: "this library needs version <see cref="Version"/> from <see cref="File"/>".</summary>
    public sealed class VersionNeed
    {
        public string File;
        public string Version;
        public ushort Flags;
        /// <summary>Byte offset of vna_flags in the file, so it can be rewritten in place.</summary>
        public long FlagsOffset;
        public bool IsWeak { get { return (Flags & ElfVersionNeeds.VerFlgWeak) != 0; } }
    }

    public static class ElfVersionNeeds
    {
        public const ushort VerFlgWeak = 0x2; // VER_FLG_WEAK in <elf.h>
        const uint ShtGnuVerdef = 0x6ffffffd;
        const uint ShtGnuVerneed = 0x6ffffffe;

        /// <summary>Every version-needed entry (.gnu.version_r) of the library.</summary>
        public static List<VersionNeed> ReadVersionNeeds(byte[] elf)
        {
            var result = new List<VersionNeed>();
            foreach (var section in Sections(elf))
            {
                if (section.Type != ShtGnuVerneed) continue;
                long strtab = SectionOffset(elf, section.Link);
                long entry = section.Offset;
                for (uint i = 0; i < section.Info; i++)
                {
                    // Elf64_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32
                    ushort count = U16(elf, entry + 2);
                    string file = CString(elf, strtab + U32(elf, entry + 4));
                    long aux = entry + U32(elf, entry + 8);
                    for (int j = 0; j < count; j++)
                    {
                        // Elf64_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32
                        result.Add(new VersionNeed
                        {
                            File = file,
                            Version = CString(elf, strtab + U32(elf, aux + 8)),
                            Flags = U16(elf, aux + 4),
                            FlagsOffset = aux + 4,
                        });
                        uint nextAux = U32(elf, aux + 12);
                        if (nextAux == 0) break;
                        aux += nextAux;
                    }
                    uint next = U32(elf, entry + 12);
                    if (next == 0) break;
                    entry += next;
                }
            }
            return result;
        }

        /// <summary>Every version the library defines (.gnu.version_d), e.g. GLIBCXX_3.4.30 for libstdc++.</summary>
        public static List<string> ReadVersionDefinitions(byte[] elf)
        {
            var result = new List<string>();
            foreach (var section in Sections(elf))
            {
                if (section.Type != ShtGnuVerdef) continue;
                long strtab = SectionOffset(elf, section.Link);
                long entry = section.Offset;
                for (uint i = 0; i < section.Info; i++)
                {
                    // Elf64_Verdef: vd_version u16, vd_flags u16, vd_ndx u16, vd_cnt u16, vd_hash u32, vd_aux u32, vd_next u32
                    long aux = entry + U32(elf, entry + 12);
                    result.Add(CString(elf, strtab + U32(elf, aux))); // Elf64_Verdaux.vda_name
                    uint next = U32(elf, entry + 16);
                    if (next == 0) break;
                    entry += next;
                }
            }
            return result;
        }

        /// <summary>
        /// Sets VER_FLG_WEAK on the entry that needs <paramref name="version"/>, so glibc's loader accepts the
        /// library when the system does not define that version. Returns false when it was weak already.
        /// </summary>
        public static bool MarkVersionNeedWeak(string path, string version)
        {
            byte[] elf = System.IO.File.ReadAllBytes(path);
            VersionNeed need = null;
            foreach (var candidate in ReadVersionNeeds(elf))
                if (candidate.Version == version) need = candidate;
            if (need == null)
                throw new InvalidDataException(path + " does not need " + version + "; nothing to patch.");
            if (need.IsWeak) return false;
            ushort flags = (ushort)(need.Flags | VerFlgWeak);
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
            {
                stream.Position = need.FlagsOffset;
                stream.WriteByte((byte)(flags & 0xff));
                stream.WriteByte((byte)(flags >> 8));
            }
            return true;
        }

        /// <summary>The libstdc++.so.6 the dynamic loader would pick on this machine, or null.</summary>
        public static string FindSystemLibStdCxx()
        {
            try
            {
                var start = new ProcessStartInfo("/sbin/ldconfig", "-p")
                {
                    RedirectStandardOutput = true,
                    UseShellExecute = false,
                };
                using (var process = Process.Start(start))
                {
                    string output = process.StandardOutput.ReadToEnd();
                    process.WaitForExit();
                    foreach (var line in output.Split('\n'))
                    {
                        string trimmed = line.Trim();
                        if (!trimmed.StartsWith("libstdc++.so.6 ", StringComparison.Ordinal)) continue;
                        if (!trimmed.Contains("x86-64") && Environment.Is64BitProcess && IsX64()) continue;
                        int arrow = trimmed.IndexOf("=> ", StringComparison.Ordinal);
                        if (arrow > 0) return trimmed.Substring(arrow + 3).Trim();
                    }
                }
            }
            catch (Exception)
            {
                // No ldconfig (a container without it): fall through to the usual directories.
            }
            foreach (var dir in new[] { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib" })
            {
                string candidate = Path.Combine(dir, "libstdc++.so.6");
                if (System.IO.File.Exists(candidate)) return candidate;
            }
            return null;
        }

        static bool IsX64()
        {
            return System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64;
        }

        struct Section
        {
            public uint Type;
            public long Offset;
            public uint Link;
            public uint Info;
        }

        static IEnumerable<Section> Sections(byte[] elf)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException("Not an ELF file.");
            if (elf[4] != 2 || elf[5] != 1)
                throw new InvalidDataException("Only little-endian ELF64 libraries are supported.");
            long shoff = (long)U64(elf, 0x28);
            ushort shentsize = U16(elf, 0x3A);
            ushort shnum = U16(elf, 0x3C);
            if (shoff <= 0 || shoff + (long)shentsize * shnum > elf.Length)
                throw new InvalidDataException("ELF section header table lies outside the file.");
            for (int i = 0; i < shnum; i++)
            {
                long header = shoff + (long)i * shentsize;
                yield return new Section
                {
                    Type = U32(elf, header + 4),
                    Offset = (long)U64(elf, header + 24),
                    Link = U32(elf, header + 40),
                    Info = U32(elf, header + 44),
                };
            }
        }

        static long SectionOffset(byte[] elf, uint index)
        {
            long shoff = (long)U64(elf, 0x28);
            ushort shentsize = U16(elf, 0x3A);
            return (long)U64(elf, shoff + index * shentsize + 24);
        }

        static ushort U16(byte[] b, long at) { Check(b, at, 2); return BitConverter.ToUInt16(b, (int)at); }
        static uint U32(byte[] b, long at) { Check(b, at, 4); return BitConverter.ToUInt32(b, (int)at); }
        static ulong U64(byte[] b, long at) { Check(b, at, 8); return BitConverter.ToUInt64(b, (int)at); }

        static void Check(byte[] b, long at, int size)
        {
            if (at < 0 || at + size > b.Length) throw new InvalidDataException("ELF structure points outside the file.");
        }

        static string CString(byte[] b, long at)
        {
            Check(b, at, 1);
            long end = at;
            while (end < b.Length && b[end] != 0) end++;
            return Encoding.ASCII.GetString(b, (int)at, (int)(end - at));
        }
    }

    /// <summary>MSBuild task: patches copies of libLibTorchSharp.so under obj/ when the system libstdc++ lacks the version.</summary>
    public class PatchLibTorchSharpForSystemLibStdCxx : Microsoft.Build.Utilities.Task
    {
        /// <summary>The version libLibTorchSharp.so (TorchSharp 0.107, built with GCC 13) declares it needs.</summary>
        public const string NeededVersion = "GLIBCXX_3.4.32";

        /// <summary>libLibTorchSharp.so items as NuGet resolved them (in the package cache, never edited).</summary>
        [Required]
        public ITaskItem[] Libraries { get; set; }

        /// <summary>Where the patched copies go (under obj/).</summary>
        [Required]
        public string OutputDirectory { get; set; }

        /// <summary>The items to copy instead: the patched copies with the originals' metadata, or the originals.</summary>
        [Output]
        public ITaskItem[] Result { get; set; }

        public override bool Execute()
        {
            Result = Libraries;
            string libstdcxx = ElfVersionNeeds.FindSystemLibStdCxx();
            if (libstdcxx == null)
            {
                Log.LogMessage(MessageImportance.Normal, "RefineWeb: no system libstdc++.so.6 found; libLibTorchSharp.so left as shipped.");
                return true;
            }
            if (ElfVersionNeeds.ReadVersionDefinitions(File.ReadAllBytes(libstdcxx)).Contains(NeededVersion))
            {
                Log.LogMessage(MessageImportance.Low, "RefineWeb: {0} defines {1}; libLibTorchSharp.so needs no patch.", libstdcxx, NeededVersion);
                return true;
            }

            Directory.CreateDirectory(OutputDirectory);
            var patched = new List<ITaskItem>();
            foreach (var library in Libraries)
            {
                string source = library.GetMetadata("FullPath");
                // A folder per runtime identifier keeps linux-x64 and others apart when several are resolved.
                string rid = library.GetMetadata("RuntimeIdentifier");
                string directory = string.IsNullOrEmpty(rid) ? OutputDirectory : Path.Combine(OutputDirectory, rid);
                Directory.CreateDirectory(directory);
                string destination = Path.Combine(directory, Path.GetFileName(source));

                if (!File.Exists(destination) || File.GetLastWriteTimeUtc(source) > File.GetLastWriteTimeUtc(destination)
                    || new FileInfo(source).Length != new FileInfo(destination).Length)
                {
                    File.Copy(source, destination, true);
                }
                bool changed;
                try
                {
                    changed = ElfVersionNeeds.MarkVersionNeedWeak(destination, NeededVersion);
                }
                catch (InvalidDataException e)
                {
                    // A future TorchSharp may not need the version at all; then the shipped file is right as it is.
                    Log.LogMessage(MessageImportance.Normal, "RefineWeb: {0}", e.Message);
                    patched.Add(library);
                    continue;
                }
                if (changed)
                {
                    Log.LogMessage(MessageImportance.High,
                        "RefineWeb: {0} lacks {1}; marked that need weak in a copy of libLibTorchSharp.so ({2}) so TorchSharp loads on this system.",
                        libstdcxx, NeededVersion, destination);
                }
                var item = new TaskItem(destination);
                library.CopyMetadataTo(item);
                patched.Add(item);
            }
            Result = patched.ToArray();
            return true;
        }
    }
}
