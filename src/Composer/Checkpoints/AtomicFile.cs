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

    /// <summary>True for the temporary files <see cref="Write"/> leaves behind only if the process dies mid-write.</summary>
    public static bool IsTemporary(string path) => Path.GetFileName(path).Contains(".tmp-", StringComparison.Ordinal);

    private static string TemporaryNameFor(string path) => $"{path}.tmp-{Guid.NewGuid():N}";

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
