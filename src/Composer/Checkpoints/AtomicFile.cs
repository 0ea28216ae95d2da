namespace Composer.Checkpoints;

/// <summary>
/// Replaces files so that a crash at any moment leaves either the old file or the new one, never a part:
/// the content goes to a temporary file in the same folder, is flushed to disk, and is renamed over the
/// target (rename is atomic within a file system).
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>; on failure the temporary file is removed and <paramref name="path"/> is untouched.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string temporary = TemporaryNameFor(path);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Points <paramref name="pointerPath"/> at <paramref name="targetPath"/> (in the same folder): a relative
    /// symbolic link, renamed into place; a copy where links cannot be made (Windows without the privilege).
    /// </summary>
    public static void Point(string pointerPath, string targetPath)
    {
        string temporary = TemporaryNameFor(pointerPath);
        try
        {
            File.CreateSymbolicLink(temporary, Path.GetFileName(targetPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            TryDelete(temporary);
            Write(pointerPath, stream =>
            {
                using FileStream source = File.OpenRead(targetPath);
                source.CopyTo(stream);
            });
            return;
        }
        try
        {
            File.Move(temporary, pointerPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>What separates a temporary file's target name from the write's id.</summary>
    public const string TemporaryMarker = ".tmp-";

    /// <summary>True for the temporary files <see cref="Write"/> leaves behind only if the process dies mid-write.</summary>
    public static bool IsTemporary(string path) => Path.GetFileName(path).Contains(TemporaryMarker, StringComparison.Ordinal);

    /// <summary>
    /// The name of the file a temporary file of <see cref="Write"/> or <see cref="Point"/> was to replace, or null when
    /// <paramref name="name"/> is not of that form (target, <c>.tmp-</c>, 32 hexadecimal digits).
    /// </summary>
    public static string? TargetOfTemporary(string name)
    {
        int marker = name.LastIndexOf(TemporaryMarker, StringComparison.Ordinal);
        if (marker <= 0) return null;
        ReadOnlySpan<char> id = name.AsSpan(marker + TemporaryMarker.Length);
        return id.Length == 32 && !id.ContainsAnyExcept("0123456789abcdef") ? name[..marker] : null;
    }

    private static string TemporaryNameFor(string path) => $"{path}{TemporaryMarker}{Guid.NewGuid():N}";

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover temporary file never replaces a checkpoint.
        }
    }
}
