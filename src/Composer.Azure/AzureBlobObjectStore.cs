using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Composer.ObjectStores;

/// <summary>
/// Azure Blob Storage as an <see cref="ObjectStore"/>, for <c>azure://container/path</c> folders and load paths.
/// </summary>
/// <remarks>
/// Credentials come from the environment, as the Azure CLI and SDK samples take them: the connection string in
/// <c>AZURE_STORAGE_CONNECTION_STRING</c>, else the account name and key in <c>AZURE_STORAGE_ACCOUNT</c> and
/// <c>AZURE_STORAGE_KEY</c> (or Composer's <c>AZURE_ACCOUNT_NAME</c> and <c>AZURE_ACCOUNT_ACCESS_KEY</c>), with the
/// endpoint <c>https://&lt;account&gt;.blob.core.windows.net</c> or <c>AZURE_STORAGE_BLOB_ENDPOINT</c>. Pass a
/// <see cref="BlobContainerClient"/> for any other credential. The SDK's own retries are off: the store's
/// <see cref="ObjectStore.Attempts"/> are the only ones.
/// </remarks>
public sealed class AzureBlobObjectStore : ObjectStore
{
    private readonly BlobContainerClient _container;

    /// <summary>The store for <paramref name="container"/>, with credentials from the environment.</summary>
    /// <exception cref="ObjectStoreException">No credentials are set; the message names the variables.</exception>
    public AzureBlobObjectStore(string container)
        : this(ContainerFromEnvironment(container))
    {
    }

    /// <summary>The store for the container <paramref name="container"/> reaches, with its credentials.</summary>
    public AzureBlobObjectStore(BlobContainerClient container)
    {
        _container = container ?? throw new ArgumentNullException(nameof(container));
    }

    /// <summary>The client options this store's clients use: no SDK retries (the store retries), and its timeout.</summary>
    public static BlobClientOptions ClientOptions(TimeSpan? networkTimeout = null)
    {
        var options = new BlobClientOptions();
        options.Retry.MaxRetries = 0;
        options.Retry.NetworkTimeout = networkTimeout ?? TimeSpan.FromSeconds(100);
        return options;
    }

    /// <summary>The container's name.</summary>
    public string Container => _container.Name;

    /// <inheritdoc/>
    public override string UriOf(string objectName) => $"azure://{_container.Name}/{objectName}";

    /// <inheritdoc/>
    public override Task CheckAccessAsync(CancellationToken cancellation) =>
        RetryAsync($"reach {UriOf("")}", async token =>
        {
            bool exists = await Call(UriOf(""), () => _container.ExistsAsync(token)).ConfigureAwait(false);
            if (!exists)
                throw new ObjectStoreException(
                    $"The container '{_container.Name}' does not exist in the storage account '{_container.AccountName}'. Create it (az storage container create --name {_container.Name}) or fix the URI.");
            return true;
        }, cancellation);

    /// <inheritdoc/>
    protected override Task UploadOnceAsync(string objectName, Stream content, CancellationToken cancellation) =>
        Call(UriOf(objectName), () => _container.GetBlobClient(objectName).UploadAsync(content, overwrite: true, cancellation));

    /// <inheritdoc/>
    protected override Task DownloadOnceAsync(string objectName, string path, CancellationToken cancellation) =>
        Call(UriOf(objectName), () => _container.GetBlobClient(objectName).DownloadToAsync(path, cancellation));

    /// <inheritdoc/>
    protected override async Task<long?> SizeOnceAsync(string objectName, CancellationToken cancellation)
    {
        try
        {
            Response<BlobProperties> properties = await _container.GetBlobClient(objectName).GetPropertiesAsync(cancellationToken: cancellation).ConfigureAwait(false);
            return properties.Value.ContentLength;
        }
        catch (RequestFailedException e) when (e.Status == 404 && e.ErrorCode is null or "BlobNotFound")
        {
            return null;
        }
        catch (RequestFailedException e)
        {
            throw Translate(e, UriOf(objectName));
        }
    }

    /// <inheritdoc/>
    protected override async Task<IReadOnlyList<string>> ListOnceAsync(string prefix, CancellationToken cancellation)
    {
        var names = new List<string>();
        try
        {
            await foreach (BlobItem blob in _container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, cancellation).ConfigureAwait(false))
                names.Add(blob.Name);
        }
        catch (RequestFailedException e)
        {
            throw Translate(e, UriOf(prefix));
        }
        return names;
    }

    /// <inheritdoc/>
    protected override Task DeleteOnceAsync(string objectName, CancellationToken cancellation) =>
        Call(UriOf(objectName), () => _container.GetBlobClient(objectName).DeleteIfExistsAsync(cancellationToken: cancellation));

    private static async Task<T> Call<T>(string uri, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            throw Translate(e, uri);
        }
    }

    private static async Task Call(string uri, Func<Task> call)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            throw Translate(e, uri);
        }
    }

    // The status and Azure's error code say what happened; the SDK's message (request headers) is not repeated.
    private static ObjectStoreException Translate(RequestFailedException e, string uri) => e.Status switch
    {
        0 => new ObjectStoreException($"{uri}: the storage endpoint could not be reached ({Innermost(e).Message})", transient: true, e),
        401 or 403 => new ObjectStoreException(
            $"{uri}: the storage account refused the credentials ({e.ErrorCode ?? e.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)}). Check AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY.", transient: false, e),
        404 when e.ErrorCode == "ContainerNotFound" => new ObjectStoreException(
            $"{uri}: the container does not exist. Create it or fix the URI.", transient: false, e),
        404 => new ObjectStoreException($"{uri}: there is no such object ({e.ErrorCode}).", transient: false, e),
        408 or 429 or >= 500 => new ObjectStoreException($"{uri}: the service answered {e.Status} ({e.ErrorCode})", transient: true, e),
        _ => new ObjectStoreException($"{uri}: the service answered {e.Status} ({e.ErrorCode})", transient: false, e),
    };

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }

    private static BlobContainerClient ContainerFromEnvironment(string container)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(container);
        BlobClientOptions options = ClientOptions();
        if (Environment.GetEnvironmentVariable("AZURE_STORAGE_CONNECTION_STRING") is { Length: > 0 } connection)
            return new BlobContainerClient(connection, container, options);
        string? account = Environment.GetEnvironmentVariable("AZURE_STORAGE_ACCOUNT") ?? Environment.GetEnvironmentVariable("AZURE_ACCOUNT_NAME");
        string? key = Environment.GetEnvironmentVariable("AZURE_STORAGE_KEY") ?? Environment.GetEnvironmentVariable("AZURE_ACCOUNT_ACCESS_KEY");
        if (string.IsNullOrEmpty(account) || string.IsNullOrEmpty(key))
            throw new ObjectStoreException(
                $"azure://{container} needs credentials: set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY, or pass an AzureBlobObjectStore made from a BlobContainerClient.");
        string endpoint = Environment.GetEnvironmentVariable("AZURE_STORAGE_BLOB_ENDPOINT") ?? $"https://{account}.blob.core.windows.net";
        return new BlobContainerClient(new Uri($"{endpoint.TrimEnd('/')}/{container}"), new StorageSharedKeyCredential(account, key), options);
    }
}
