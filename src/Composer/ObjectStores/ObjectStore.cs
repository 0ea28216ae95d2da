using System.Collections.Concurrent;
using System.Reflection;

namespace Composer.ObjectStores;

/// <summary>
/// A bucket of named objects (Composer's <c>ObjectStore</c>): upload, download, size, list and delete. The checkpoint
/// savers, <see cref="TrainerOptions.LoadPath"/> and <see cref="Loggers.RemoteUploaderDownloader"/> use one when a folder
/// is a URI such as <c>s3://bucket/run</c>. Each operation gets <see cref="Attempts"/> tries of at most
/// <see cref="Timeout"/> each, waiting <see cref="Backoff"/>, then twice as long, between them; only transient errors
/// are tried again.
/// </summary>
/// <remarks>
/// Implementations take credentials from their SDK's standard sources (environment variables, profile files) and turn
/// the SDK's errors into <see cref="ObjectStoreException"/>s whose messages name the fix and never the secret. They are
/// used from one thread at a time.
/// </remarks>
public abstract class ObjectStore : IDisposable
{
    private static readonly ConcurrentDictionary<string, Func<string, ObjectStore>> Factories = new(StringComparer.Ordinal);

    // The stores that ship as packages of their own, found by name when the application references them.
    private static readonly Dictionary<string, (string Type, string Package)> Packaged = new(StringComparer.Ordinal)
    {
        ["s3"] = ("Composer.ObjectStores.S3ObjectStore, Composer.S3", "Composer.NET.S3"),
        ["azure"] = ("Composer.ObjectStores.AzureBlobObjectStore, Composer.Azure", "Composer.NET.Azure"),
    };

    /// <summary>The URI of an object, for messages: <c>s3://bucket/name</c>.</summary>
    public abstract string UriOf(string objectName);

    /// <summary>How many times an operation is tried before it is reported as failed (3, as Composer's <c>num_attempts</c>).</summary>
    public int Attempts { get; init; } = 3;

    /// <summary>The wait before the second try; each later wait is twice the one before.</summary>
    public TimeSpan Backoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest one try of an operation may take.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Checks, before anything is written, that the bucket exists and the credentials are accepted.</summary>
    /// <exception cref="ObjectStoreException">It does not, or they are not; the message says what to change.</exception>
    public abstract Task CheckAccessAsync(CancellationToken cancellation);

    /// <summary>Stores <paramref name="content"/> (read from its current position to the end) as <paramref name="objectName"/>, replacing it.</summary>
    protected abstract Task UploadOnceAsync(string objectName, Stream content, CancellationToken cancellation);

    /// <summary>Writes the object to <paramref name="path"/> (a new file, which the caller renames into place).</summary>
    protected abstract Task DownloadOnceAsync(string objectName, string path, CancellationToken cancellation);

    /// <summary>The object's size in bytes; null when there is no such object.</summary>
    protected abstract Task<long?> SizeOnceAsync(string objectName, CancellationToken cancellation);

    /// <summary>The names of the objects that start with <paramref name="prefix"/>.</summary>
    protected abstract Task<IReadOnlyList<string>> ListOnceAsync(string prefix, CancellationToken cancellation);

    /// <summary>Deletes the object; nothing happens when there is none.</summary>
    protected abstract Task DeleteOnceAsync(string objectName, CancellationToken cancellation);

    /// <summary>Uploads <paramref name="content"/>, which must be seekable so that a retry starts it again.</summary>
    public Task UploadAsync(string objectName, Stream content, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (!content.CanSeek) throw new ArgumentException("The content must be seekable, so that a failed upload can be tried again.", nameof(content));
        long start = content.Position;
        return RetryAsync($"upload {UriOf(objectName)}", async token =>
        {
            content.Position = start;
            await UploadOnceAsync(objectName, content, token).ConfigureAwait(false);
            return true;
        }, cancellation);
    }

    /// <summary>Uploads the file at <paramref name="path"/>.</summary>
    public async Task UploadFileAsync(string objectName, string path, CancellationToken cancellation = default)
    {
        await using FileStream content = OpenForUpload(path);
        await UploadAsync(objectName, content, cancellation).ConfigureAwait(false);
    }

    /// <summary>
    /// Downloads the object to <paramref name="path"/> atomically: into a temporary file beside it, renamed into place
    /// when complete, so a failed download never leaves a partial file under that name.
    /// </summary>
    public Task DownloadAsync(string objectName, string path, CancellationToken cancellation = default) =>
        RetryAsync($"download {UriOf(objectName)}", async token =>
        {
            string temporary = $"{path}.download-{Guid.NewGuid():N}";
            try
            {
                await DownloadOnceAsync(objectName, temporary, token).ConfigureAwait(false);
                File.Move(temporary, path, overwrite: true);
            }
            finally
            {
                File.Delete(temporary);
            }
            return true;
        }, cancellation);

    /// <summary>The object's size in bytes; null when there is no such object.</summary>
    public Task<long?> SizeAsync(string objectName, CancellationToken cancellation = default) =>
        RetryAsync($"read the size of {UriOf(objectName)}", token => SizeOnceAsync(objectName, token), cancellation);

    /// <summary>The names of the objects that start with <paramref name="prefix"/>.</summary>
    public Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken cancellation = default) =>
        RetryAsync($"list {UriOf(prefix)}", token => ListOnceAsync(prefix, token), cancellation);

    /// <summary>Deletes the object; nothing happens when there is none.</summary>
    public Task DeleteAsync(string objectName, CancellationToken cancellation = default) =>
        RetryAsync($"delete {UriOf(objectName)}", async token =>
        {
            await DeleteOnceAsync(objectName, token).ConfigureAwait(false);
            return true;
        }, cancellation);

    /// <summary>
    /// Opens a file for a later upload, so that what is uploaded is the file as it is now: a file replaced (renamed
    /// over) or deleted afterwards keeps its content for the open handle.
    /// </summary>
    public static FileStream OpenForUpload(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1 << 16, useAsync: true);

    /// <summary>Runs <paramref name="operation"/> with the store's attempts, timeout and backoff.</summary>
    /// <exception cref="ObjectStoreException">A permanent error, or the last transient one.</exception>
    protected async Task<T> RetryAsync<T>(string what, Func<CancellationToken, Task<T>> operation, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        TimeSpan wait = Backoff;
        for (int attempt = 1; ; attempt++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timeout.CancelAfter(Timeout);
            ObjectStoreException failure;
            try
            {
                return await operation(timeout.Token).ConfigureAwait(false);
            }
            catch (ObjectStoreException e) when (!e.Transient)
            {
                throw;
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failure = e as ObjectStoreException ?? new ObjectStoreException(
                    timeout.IsCancellationRequested ? $"it took longer than the timeout of {Timeout}" : Describe(e), transient: true, e);
            }
            if (attempt >= Attempts)
                throw new ObjectStoreException($"Could not {what} in {Attempts} attempts: {failure.Message}", transient: true, failure.InnerException ?? failure);
            await Task.Delay(wait, cancellation).ConfigureAwait(false);
            wait *= 2;
        }
    }

    // The innermost message says what went wrong on the wire ("Connection refused").
    private static string Describe(Exception e)
    {
        Exception inner = e;
        while (inner.InnerException is not null) inner = inner.InnerException;
        return inner == e ? e.Message : $"{e.Message} ({inner.Message})";
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the SDK's client.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>
    /// Makes <paramref name="factory"/> the store for URIs of <paramref name="scheme"/> (given the bucket), replacing
    /// the packaged one: a store with other credentials or an endpoint of its own.
    /// </summary>
    public static void Register(string scheme, Func<string, ObjectStore> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(scheme);
        ArgumentNullException.ThrowIfNull(factory);
        Factories[scheme.ToLowerInvariant()] = factory;
    }

    /// <summary>
    /// The store for <paramref name="uri"/>'s scheme (Composer's <c>maybe_create_object_store_from_uri</c>): a registered
    /// one, else the packaged store when the application references its package.
    /// </summary>
    /// <exception cref="NotSupportedException">No store serves the scheme; the message names the package to add.</exception>
    public static ObjectStore For(ObjectStoreUri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (Factories.TryGetValue(uri.Scheme, out var factory)) return factory(uri.Bucket);
        if (Packaged.TryGetValue(uri.Scheme, out var packaged))
        {
            Type type = Type.GetType(packaged.Type, throwOnError: false)
                ?? throw new NotSupportedException(
                    $"{uri} needs the {packaged.Package} package: dotnet add package {packaged.Package}.");
            try
            {
                return (ObjectStore)Activator.CreateInstance(type, uri.Bucket)!;
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
                throw;
            }
        }
        throw new NotSupportedException(
            $"No object store serves {uri.Scheme}:// URIs ({uri}). Use s3:// (package Composer.NET.S3), azure:// (Composer.NET.Azure), a local path, or register a store with ObjectStore.Register(\"{uri.Scheme}\", ...).");
    }
}
