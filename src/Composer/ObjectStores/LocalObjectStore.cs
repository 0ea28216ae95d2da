namespace Composer.ObjectStores;

/// <summary>
/// A folder used as an object store: object names are paths under <see cref="Root"/>. For a
/// <see cref="Loggers.RemoteUploaderDownloader"/> that copies files to a mounted share, and to test what uses stores.
/// </summary>
public sealed class LocalObjectStore : ObjectStore
{
    /// <summary>Creates the store over <paramref name="root"/>, which is created when missing.</summary>
    public LocalObjectStore(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
    }

    /// <summary>The folder.</summary>
    public string Root { get; }

    /// <inheritdoc/>
    public override string UriOf(string objectName) => new Uri(PathOf(objectName)).AbsoluteUri;

    /// <inheritdoc/>
    public override Task CheckAccessAsync(CancellationToken cancellation)
    {
        Directory.CreateDirectory(Root);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    protected override async Task UploadOnceAsync(string objectName, Stream content, CancellationToken cancellation)
    {
        string path = PathOf(objectName);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = $"{path}.upload-{Guid.NewGuid():N}";
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await content.CopyToAsync(file, cancellation).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <inheritdoc/>
    protected override Task DownloadOnceAsync(string objectName, string path, CancellationToken cancellation)
    {
        string source = PathOf(objectName);
        if (!File.Exists(source)) throw new ObjectStoreException($"There is no object {UriOf(objectName)}.");
        File.Copy(source, path);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    protected override Task<long?> SizeOnceAsync(string objectName, CancellationToken cancellation)
    {
        var file = new FileInfo(PathOf(objectName));
        return Task.FromResult(file.Exists ? file.Length : (long?)null);
    }

    /// <inheritdoc/>
    protected override Task<IReadOnlyList<string>> ListOnceAsync(string prefix, CancellationToken cancellation)
    {
        if (!Directory.Exists(Root)) return Task.FromResult<IReadOnlyList<string>>([]);
        IReadOnlyList<string> names = Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Root, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        return Task.FromResult(names);
    }

    /// <inheritdoc/>
    protected override Task DeleteOnceAsync(string objectName, CancellationToken cancellation)
    {
        File.Delete(PathOf(objectName));
        return Task.CompletedTask;
    }

    private string PathOf(string objectName)
    {
        string path = Path.GetFullPath(Path.Combine(Root, objectName));
        if (!path.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException($"\"{objectName}\" leaves the store's folder {Root}.", nameof(objectName));
        return path;
    }
}
