using Composer.Core;
using Composer.ObjectStores;

namespace Composer.Loggers;

/// <summary>
/// Uploads the files other members log (checkpoints, traces, artifacts) to an object store, as Composer's
/// <c>RemoteUploaderDownloader</c>: each file is opened when it is logged and uploaded in the background by a bounded
/// queue, one at a time; a failed upload is tried again (the store's attempts) and then reported on stderr, and again by
/// <see cref="Event.FitEnd"/>, which waits for the queue and throws if anything failed.
/// </summary>
/// <remarks>
/// Each process uploads its own files (<see cref="RankZeroOnly"/> is false), so put <c>{rank}</c> in the format string
/// when ranks log files of the same name. Files are opened when logged: replace a file (write another and rename it
/// over) rather than rewrite it in place while its upload waits.
/// </remarks>
public sealed class RemoteUploaderDownloader : LoggerDestination
{
    private static readonly string[] Tokens = ["{remote_file_name}", "{run_name}", "{rank}", "{local_rank}", "{world_size}"];

    private readonly UploadQueue _queue = new(nameof(RemoteUploaderDownloader));

    /// <summary>Creates the destination.</summary>
    /// <param name="bucketUri">The store and bucket, <c>s3://bucket</c> or <c>azure://container</c>; a path there prefixes every name.</param>
    /// <param name="filePathFormatString">
    /// The object name of each file (Composer's <c>file_path_format_string</c>): <c>{remote_file_name}</c>,
    /// <c>{run_name}</c>, <c>{rank}</c>, <c>{local_rank}</c> and <c>{world_size}</c> are filled in; leading slashes are
    /// removed.
    /// </param>
    /// <param name="objectStore">The store to use instead of the one the URI's scheme names.</param>
    public RemoteUploaderDownloader(string bucketUri, string filePathFormatString = "{remote_file_name}", ObjectStore? objectStore = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bucketUri);
        ArgumentException.ThrowIfNullOrWhiteSpace(filePathFormatString);
        string rest = Tokens.Aggregate(filePathFormatString, (p, token) => p.Replace(token, "", StringComparison.Ordinal));
        if (rest.Contains('{'))
            throw new ArgumentException(
                $"\"{filePathFormatString}\" has a placeholder other than {string.Join(", ", Tokens)}.", nameof(filePathFormatString));
        if (ObjectStoreUri.TryParse(bucketUri, out ObjectStoreUri uri))
        {
            Uri = uri;
            Store = objectStore ?? ObjectStore.For(uri);
        }
        else
        {
            // A local folder (or file:// URI) as the bucket: a copy on a mounted share.
            Uri = new ObjectStoreUri("file", ObjectStoreUri.LocalPath(bucketUri), "");
            Store = objectStore ?? new LocalObjectStore(Uri.Bucket);
        }
        FilePathFormatString = filePathFormatString;
    }

    /// <summary>The bucket, with the path every object name is under.</summary>
    public ObjectStoreUri Uri { get; }

    /// <summary>The store.</summary>
    public ObjectStore Store { get; }

    /// <summary>The object-name format.</summary>
    public string FilePathFormatString { get; }

    /// <summary>Every process uploads the files it logs.</summary>
    public override bool RankZeroOnly => false;

    /// <summary>The object name a file logged as <paramref name="remoteName"/> gets.</summary>
    public string ObjectNameOf(State state, string remoteName)
    {
        ArgumentNullException.ThrowIfNull(state);
        string name = FilePathFormatString
            .Replace("{remote_file_name}", remoteName, StringComparison.Ordinal)
            .Replace("{run_name}", state.RunName, StringComparison.Ordinal)
            .Replace("{rank}", state.Rank.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{local_rank}", state.Communicator.LocalRank.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{world_size}", state.Communicator.WorldSize.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .TrimStart('/');
        return Uri.Key(name);
    }

    /// <summary>Checks before training that the bucket exists and the credentials are accepted.</summary>
    /// <exception cref="ObjectStoreException">They are not; the message says what to change.</exception>
    [OnEvent(Event.Init)]
    public void CheckAccess(State state) => Store.CheckAccessAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc/>
    /// <remarks>Queues the upload and returns; the file is opened now.</remarks>
    public override void UploadFile(State state, string remoteName, string path)
    {
        string objectName = ObjectNameOf(state, remoteName);
        FileStream content = ObjectStore.OpenForUpload(path);
        _queue.Enqueue($"upload {Store.UriOf(objectName)} from {path}",
            cancellation => Store.UploadAsync(objectName, content, cancellation), content);
    }

    /// <summary>Downloads the object a file logged as <paramref name="remoteName"/> became to <paramref name="path"/> (Composer's <c>download_file</c>).</summary>
    public void DownloadFile(State state, string remoteName, string path) =>
        Store.DownloadAsync(ObjectNameOf(state, remoteName), path).GetAwaiter().GetResult();

    /// <summary>Waits for the queued uploads.</summary>
    /// <exception cref="ObjectStoreException">Some failed after their retries; the message lists them and their local files.</exception>
    [OnEvent(Event.FitEnd)]
    public void WaitForUploads(State state) => _queue.WaitForAll();
}
