namespace Composer.ObjectStores;

/// <summary>
/// A location in an object store, <c>scheme://bucket/path</c> (Composer's <c>parse_uri</c>): <c>s3://bucket/run</c>,
/// <c>azure://container/run</c>. Plain paths and <c>file://</c> URIs are local folders.
/// </summary>
/// <param name="Scheme">The backend, such as <c>s3</c> or <c>azure</c>.</param>
/// <param name="Bucket">The bucket or container.</param>
/// <param name="Path">The object name or prefix inside it, without leading or trailing slashes.</param>
public sealed record ObjectStoreUri(string Scheme, string Bucket, string Path)
{
    /// <summary>The object name of <paramref name="name"/> under <see cref="Path"/>.</summary>
    public string Key(string name) => Path.Length == 0 ? name : $"{Path}/{name}";

    /// <inheritdoc/>
    public override string ToString() => Path.Length == 0 ? $"{Scheme}://{Bucket}" : $"{Scheme}://{Bucket}/{Path}";

    /// <summary>True when <paramref name="location"/> names an object store rather than a local path.</summary>
    public static bool IsRemote(string location) => TryParse(location, out _);

    /// <summary>Parses <paramref name="location"/>; false for a plain path or a <c>file://</c> URI.</summary>
    public static bool TryParse(string location, out ObjectStoreUri uri)
    {
        ArgumentNullException.ThrowIfNull(location);
        uri = null!;
        int separator = location.IndexOf("://", StringComparison.Ordinal);
        // A drive letter ("C:\...") or no scheme at all is a path.
        if (separator < 2) return false;
        string scheme = location[..separator].ToLowerInvariant();
        if (scheme == "file" || !scheme.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.')) return false;
        string rest = location[(separator + 3)..];
        int slash = rest.IndexOf('/');
        string bucket = slash < 0 ? rest : rest[..slash];
        if (bucket.Length == 0)
            throw new ArgumentException($"\"{location}\" names no bucket: write {scheme}://<bucket>/<path>.", nameof(location));
        uri = new ObjectStoreUri(scheme, bucket, slash < 0 ? "" : rest[(slash + 1)..].Trim('/'));
        return true;
    }

    /// <summary>Parses an object store URI.</summary>
    /// <exception cref="ArgumentException"><paramref name="location"/> is a local path.</exception>
    public static ObjectStoreUri Parse(string location) => TryParse(location, out ObjectStoreUri uri)
        ? uri
        : throw new ArgumentException($"\"{location}\" is a local path, not an object store URI such as s3://bucket/path.", nameof(location));

    /// <summary>The local path of a plain path or <c>file://</c> URI.</summary>
    public static string LocalPath(string location) =>
        location.StartsWith("file://", StringComparison.OrdinalIgnoreCase) ? new Uri(location).LocalPath : location;
}
