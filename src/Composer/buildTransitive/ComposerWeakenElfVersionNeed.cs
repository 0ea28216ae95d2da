// The task behind Composer.NET.targets: compiled by MSBuild's RoslynCodeTaskFactory from this file (Source=) in every
// build that imports the targets, and compiled into tests/Composer.Tests (COMPOSER_ELF_TESTS, without the MSBuild
// task) to test the ELF editing on its own.
#nullable disable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
#if !COMPOSER_ELF_TESTS
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Marks one version need of libLibTorchSharp.so weak in every copy given, unless the system's libstdc++ provides the
/// version (then nothing needs it). Writes beside and moves over, so a crash never leaves a half-written library and
/// a hard link into the NuGet cache is replaced rather than written through.
/// </summary>
public sealed class ComposerWeakenElfVersionNeed : Task
{
    [Required] public ITaskItem[] Files { get; set; }
    [Required] public string VersionName { get; set; }

    public override bool Execute()
    {
        string systemLibrary = ElfVersionNeed.FindSystemLibStdCxx();
        if (systemLibrary != null && ElfVersionNeed.LibraryProvides(systemLibrary, VersionName))
        {
            Log.LogMessage(MessageImportance.Low, "{0} provides {1}; libLibTorchSharp.so needs no patch.", systemLibrary, VersionName);
            return true;
        }

        foreach (ITaskItem item in Files)
        {
            string path = item.ItemSpec;
            try
            {
                byte[] image = File.ReadAllBytes(path);
                ElfVersionNeed.Outcome outcome = ElfVersionNeed.Weaken(image, VersionName);
                if (outcome == ElfVersionNeed.Outcome.Patched)
                {
                    string temporary = path + ".composer-tmp";
                    File.WriteAllBytes(temporary, image);
                    File.Replace(temporary, path, null);
                    Log.LogMessage(MessageImportance.Normal, "Composer: marked {0} weak in {1}.", VersionName, path);
                }
                else
                {
                    Log.LogMessage(MessageImportance.Low, "Composer: {0}: {1}.", path, outcome);
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is InvalidDataException)
            {
                Log.LogWarning(null, "CMPB001", null, path, 0, 0, 0, 0,
                    "Could not mark {0} weak in {1}: {2}. TorchSharp may fail to load on this system; set ComposerPatchLibTorchSharp=false to silence this.",
                    VersionName, path, e.Message);
            }
        }
        return !Log.HasLoggedErrors;
    }
}
#endif

/// <summary>
/// Edits an ELF image's GNU version needs (<c>.gnu.version_r</c>): sets VER_FLG_WEAK on one needed version, so the
/// loader accepts a library whose system lacks that version. Little-endian 64-bit ELF only.
/// </summary>
public static class ElfVersionNeed
{
    private const uint ShtGnuVerneed = 0x6ffffffe;

    /// <summary>The weak flag of a needed version (<c>VER_FLG_WEAK</c>).</summary>
    public const ushort VerFlgWeak = 0x2;

    /// <summary>What <see cref="Weaken"/> did.</summary>
    public enum Outcome
    {
        /// <summary>The version need was found and marked weak.</summary>
        Patched,
        /// <summary>The version need was weak already.</summary>
        AlreadyWeak,
        /// <summary>The image does not need that version.</summary>
        NotNeeded,
    }

    /// <summary>Marks <paramref name="versionName"/>'s need weak in <paramref name="image"/>, in place.</summary>
    /// <exception cref="InvalidDataException">Not a little-endian 64-bit ELF image, or a truncated one.</exception>
    public static Outcome Weaken(byte[] image, string versionName)
    {
        long flags = FlagsOffset(image, versionName);
        if (flags < 0) return Outcome.NotNeeded;
        ushort value = U16(image, flags);
        if ((value & VerFlgWeak) != 0) return Outcome.AlreadyWeak;
        value |= VerFlgWeak;
        image[flags] = (byte)value;
        image[flags + 1] = (byte)(value >> 8);
        return Outcome.Patched;
    }

    /// <summary>The flags of <paramref name="versionName"/>'s need, or null when the image does not need it.</summary>
    public static ushort? NeedFlags(byte[] image, string versionName)
    {
        long flags = FlagsOffset(image, versionName);
        return flags < 0 ? (ushort?)null : U16(image, flags);
    }

    /// <summary>Whether the library at <paramref name="path"/> defines <paramref name="versionName"/> (its name is in it).</summary>
    public static bool LibraryProvides(string path, string versionName) =>
        Contains(File.ReadAllBytes(path), Encoding.ASCII.GetBytes(versionName + "\0"));

    /// <summary>The system's libstdc++.so.6: in LD_LIBRARY_PATH, then the usual library folders; null when none.</summary>
    public static string FindSystemLibStdCxx()
    {
        var directories = new List<string>();
        string ldLibraryPath = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
        if (!string.IsNullOrEmpty(ldLibraryPath)) directories.AddRange(ldLibraryPath.Split(':'));
        directories.AddRange(new[]
        {
            "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
            "/lib64", "/usr/lib64", "/lib", "/usr/lib",
        });
        foreach (string directory in directories)
        {
            string candidate = Path.Combine(directory, "libstdc++.so.6");
            if (directory.Length > 0 && File.Exists(candidate)) return candidate;
        }
        return null;
    }

    // The offset of the vna_flags of versionName's Vernaux entry, or -1.
    private static long FlagsOffset(byte[] image, string versionName)
    {
        if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (image[4] != 2 || image[5] != 1)
            throw new InvalidDataException("not a little-endian 64-bit ELF file");

        long sectionTable = (long)U64(image, 0x28);
        int sectionSize = U16(image, 0x3A);
        int sectionCount = U16(image, 0x3C);
        for (int i = 0; i < sectionCount; i++)
        {
            long header = sectionTable + (long)i * sectionSize;
            if (U32(image, header + 4) != ShtGnuVerneed) continue;

            long offset = (long)U64(image, header + 0x18);
            uint strtabIndex = U32(image, header + 0x28);
            uint needCount = U32(image, header + 0x2C);
            long strtab = (long)U64(image, sectionTable + strtabIndex * sectionSize + 0x18);

            long need = offset;
            for (uint n = 0; n < needCount; n++)
            {
                int auxCount = U16(image, need + 2);
                long aux = need + U32(image, need + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    if (CString(image, strtab + U32(image, aux + 8)) == versionName) return aux + 4;
                    aux += U32(image, aux + 12);
                }
                need += U32(image, need + 12);
            }
        }
        return -1;
    }

    private static bool Contains(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }

    private static string CString(byte[] image, long offset)
    {
        Check(image, offset, 1);
        long end = offset;
        while (end < image.Length && image[end] != 0) end++;
        return Encoding.ASCII.GetString(image, (int)offset, (int)(end - offset));
    }

    private static ushort U16(byte[] b, long o) { Check(b, o, 2); return (ushort)(b[o] | b[o + 1] << 8); }
    private static uint U32(byte[] b, long o) { Check(b, o, 4); return (uint)(b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24); }
    private static ulong U64(byte[] b, long o) { Check(b, o, 8); return U32(b, o) | (ulong)U32(b, o + 4) << 32; }

    private static void Check(byte[] b, long o, int size)
    {
        if (o < 0 || o + size > b.Length) throw new InvalidDataException("truncated ELF file");
    }
}
