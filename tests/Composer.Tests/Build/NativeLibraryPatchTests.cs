namespace Composer.Tests.Build;

/// <summary>
/// The build's fix for TorchSharp's native library (src/Composer/buildTransitive): marking libLibTorchSharp.so's need
/// of GLIBCXX_3.4.32 weak, on the library TorchSharp-cpu 0.107.0 really ships (from the NuGet cache), and doing nothing
/// where the system's libstdc++ provides the version.
/// </summary>
public class NativeLibraryPatchTests
{
    private const string Version = "GLIBCXX_3.4.32";

    // The package's copy, as restore put it in the NuGet cache, before any build patched a copy of it.
    private static byte[] ShippedLibrary()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(packages, "torchsharp-cpu", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!File.Exists(path))
            path = Directory.GetFiles(Path.Combine(packages, "torchsharp"), "libLibTorchSharp.so", SearchOption.AllDirectories).FirstOrDefault() ?? path;
        Assert.That(File.Exists(path), Is.True, $"TorchSharp's native library in the NuGet cache: {path}");
        return File.ReadAllBytes(path);
    }

    [Test]
    public void TheShippedLibrarysNeedBecomesWeakAndNothingElseChanges()
    {
        byte[] shipped = ShippedLibrary();
        Assume.That(ElfVersionNeed.NeedFlags(shipped, Version), Is.Not.Null, "this TorchSharp asks for the version");
        byte[] image = (byte[])shipped.Clone();
        ElfVersionNeed.Outcome first = ElfVersionNeed.Weaken(image, Version);

        Assert.That(first, Is.EqualTo(ElfVersionNeed.Outcome.Patched).Or.EqualTo(ElfVersionNeed.Outcome.AlreadyWeak));
        Assert.That(ElfVersionNeed.NeedFlags(image, Version)! & ElfVersionNeed.VerFlgWeak, Is.EqualTo(ElfVersionNeed.VerFlgWeak));
        int[] changed = [.. Enumerable.Range(0, image.Length).Where(i => image[i] != shipped[i])];
        Assert.That(changed, Has.Length.LessThanOrEqualTo(1), "one byte of one flags field at most");
        Assert.That(ElfVersionNeed.Weaken(image, Version), Is.EqualTo(ElfVersionNeed.Outcome.AlreadyWeak), "idempotent");
        Assert.That(ElfVersionNeed.Weaken(image, "GLIBCXX_9.9.99"), Is.EqualTo(ElfVersionNeed.Outcome.NotNeeded));
    }

    [Test]
    public void WhatIsNotALittleEndian64BitElfFileIsRefused()
    {
        Assert.Throws<InvalidDataException>(() => ElfVersionNeed.Weaken(new byte[100], Version), "not ELF");
        byte[] shipped = ShippedLibrary();
        byte[] bigEndian = (byte[])shipped.Clone();
        bigEndian[5] = 2;
        Assert.Throws<InvalidDataException>(() => ElfVersionNeed.Weaken(bigEndian, Version));
        Assert.Throws<InvalidDataException>(() => ElfVersionNeed.Weaken(shipped[..4096], Version), "truncated before its sections");
    }

    [Test]
    public void ALibStdCxxThatDefinesTheVersionMakesThePatchUnnecessary()
    {
        string folder = Directory.CreateTempSubdirectory("composer-libstdcxx-").FullName;
        try
        {
            string newer = Path.Combine(folder, "newer.so"), older = Path.Combine(folder, "older.so");
            File.WriteAllBytes(newer, [.. "\u007fELF..GLIBCXX_3.4.31\0GLIBCXX_3.4.32\0"u8]);
            File.WriteAllBytes(older, [.. "\u007fELF..GLIBCXX_3.4.30\0GLIBCXX_3.4.321\0"u8]);
            Assert.That(ElfVersionNeed.LibraryProvides(newer, Version), Is.True);
            Assert.That(ElfVersionNeed.LibraryProvides(older, Version), Is.False, "a longer name is not the version");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        string? system = ElfVersionNeed.FindSystemLibStdCxx();
        Assert.That(system, Is.Not.Null.And.EndsWith("libstdc++.so.6"), "this machine's libstdc++ is found");
    }
}
