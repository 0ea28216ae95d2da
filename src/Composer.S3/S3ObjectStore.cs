using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;

namespace Composer.ObjectStores;

/// <summary>
/// Amazon S3, or a server that speaks its API, as an <see cref="ObjectStore"/>, for <c>s3://bucket/path</c> folders
/// and load paths.
/// </summary>
/// <remarks>
/// Credentials and region come from the AWS SDK's standard chain (<c>AWS_ACCESS_KEY_ID</c> and
/// <c>AWS_SECRET_ACCESS_KEY</c>, <c>AWS_PROFILE</c> and <c>~/.aws/credentials</c>, instance roles). The endpoint of an
/// S3-compatible server comes from <c>S3_ENDPOINT_URL</c> (Composer's variable) or <c>AWS_ENDPOINT_URL_S3</c>; with one,
/// paths are addressed as <c>endpoint/bucket/key</c>, checksums are sent only where S3 requires them and uploads are
/// signed whole, as such servers expect. The SDK's own retries are off: the store's <see cref="ObjectStore.Attempts"/>
/// are the only ones.
/// </remarks>
public sealed class S3ObjectStore : ObjectStore
{
    private readonly IAmazonS3 _client;
    private readonly bool _ownsClient;
    private readonly bool _compatibleEndpoint;

    // S3's largest single PUT.
    private const long SinglePutLimit = 5L << 30;

    /// <summary>The store for <paramref name="bucket"/>, configured from the environment.</summary>
    /// <exception cref="ObjectStoreException">No region or endpoint is configured; the message says where to set one.</exception>
    public S3ObjectStore(string bucket)
        : this(bucket, ClientFromEnvironment(bucket), ownsClient: true)
    {
    }

    /// <summary>The store for <paramref name="bucket"/> through <paramref name="client"/> (its credentials, endpoint and retries).</summary>
    public S3ObjectStore(string bucket, IAmazonS3 client)
        : this(bucket, client, ownsClient: false)
    {
    }

    private S3ObjectStore(string bucket, IAmazonS3 client, bool ownsClient)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bucket);
        Bucket = bucket;
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _ownsClient = ownsClient;
        _compatibleEndpoint = !string.IsNullOrEmpty(client.Config.ServiceURL);
    }

    /// <summary>The bucket.</summary>
    public string Bucket { get; }

    /// <summary>
    /// The client configuration this store uses: the SDK's, with its retries off, and for an S3-compatible
    /// <paramref name="endpoint"/> (by default <c>S3_ENDPOINT_URL</c>) path-style addressing and checksums only where required.
    /// </summary>
    public static AmazonS3Config ConfigFromEnvironment(string? endpoint = null)
    {
        var config = new AmazonS3Config { MaxErrorRetry = 0 };
        endpoint ??= Environment.GetEnvironmentVariable("S3_ENDPOINT_URL") ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3");
        if (!string.IsNullOrEmpty(endpoint))
        {
            config.ServiceURL = endpoint;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = Environment.GetEnvironmentVariable("AWS_REGION") ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") ?? "us-east-1";
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }
        return config;
    }

    private static AmazonS3Client ClientFromEnvironment(string bucket)
    {
        try
        {
            return new AmazonS3Client(ConfigFromEnvironment());
        }
        catch (AmazonClientException e) when (e.Message.Contains("RegionEndpoint", StringComparison.Ordinal))
        {
            throw new ObjectStoreException(
                $"s3://{bucket} needs a region: set AWS_REGION (or region in the AWS_PROFILE's ~/.aws/config), or S3_ENDPOINT_URL for an S3-compatible server.", transient: false, e);
        }
    }

    /// <inheritdoc/>
    public override string UriOf(string objectName) => $"s3://{Bucket}/{objectName}";

    /// <inheritdoc/>
    /// <remarks>A HEAD of the bucket: its answer has no body, so the status says which error it is.</remarks>
    public override Task CheckAccessAsync(CancellationToken cancellation) =>
        RetryAsync($"reach {UriOf("")}", async token =>
        {
            try
            {
                await _client.HeadBucketAsync(new HeadBucketRequest { BucketName = Bucket }, token).ConfigureAwait(false);
            }
            catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.NotFound)
            {
                throw Translate(e, UriOf(""), "NoSuchBucket");
            }
            catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
            {
                throw Translate(e, UriOf(""), "AccessDenied");
            }
            catch (AmazonServiceException e)
            {
                throw Translate(e, UriOf(""));
            }
            catch (AmazonClientException e)
            {
                throw Translate(e, UriOf(""));
            }
            return true;
        }, cancellation);

    /// <inheritdoc/>
    /// <remarks>
    /// One PUT up to S3's single-request limit of 5 GiB, in parts (the SDK's transfer utility) beyond it. Towards an
    /// S3-compatible endpoint the PUT is signed whole rather than in aws-chunked encoding, which such servers often store
    /// verbatim.
    /// </remarks>
    protected override Task UploadOnceAsync(string objectName, Stream content, CancellationToken cancellation) =>
        Call(UriOf(objectName), async () =>
        {
            if (content.Length - content.Position <= SinglePutLimit)
            {
                await _client.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = Bucket,
                    Key = objectName,
                    InputStream = content,
                    AutoCloseStream = false,
                    UseChunkEncoding = !_compatibleEndpoint,
                }, cancellation).ConfigureAwait(false);
                return true;
            }
            using var transfer = new TransferUtility(_client);
            await transfer.UploadAsync(new TransferUtilityUploadRequest
            {
                BucketName = Bucket,
                Key = objectName,
                InputStream = content,
                AutoCloseStream = false,
            }, cancellation).ConfigureAwait(false);
            return true;
        });

    /// <inheritdoc/>
    protected override Task DownloadOnceAsync(string objectName, string path, CancellationToken cancellation) =>
        Call(UriOf(objectName), async () =>
        {
            using GetObjectResponse response = await _client.GetObjectAsync(Bucket, objectName, cancellation).ConfigureAwait(false);
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await response.ResponseStream.CopyToAsync(file, cancellation).ConfigureAwait(false);
            return true;
        });

    /// <inheritdoc/>
    protected override async Task<long?> SizeOnceAsync(string objectName, CancellationToken cancellation)
    {
        try
        {
            GetObjectMetadataResponse metadata = await _client.GetObjectMetadataAsync(Bucket, objectName, cancellation).ConfigureAwait(false);
            return metadata.ContentLength;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode is null or "NotFound" or "NoSuchKey")
        {
            return null;
        }
        catch (AmazonServiceException e)
        {
            throw Translate(e, UriOf(objectName));
        }
        catch (AmazonClientException e)
        {
            throw Translate(e, UriOf(objectName));
        }
    }

    /// <inheritdoc/>
    protected override Task<IReadOnlyList<string>> ListOnceAsync(string prefix, CancellationToken cancellation) =>
        Call<IReadOnlyList<string>>(UriOf(prefix), async () =>
        {
            var names = new List<string>();
            var request = new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix };
            ListObjectsV2Response response;
            do
            {
                response = await _client.ListObjectsV2Async(request, cancellation).ConfigureAwait(false);
                names.AddRange((response.S3Objects ?? []).Select(o => o.Key));
                request.ContinuationToken = response.NextContinuationToken;
            }
            while (response.IsTruncated == true);
            return names;
        });

    /// <inheritdoc/>
    protected override Task DeleteOnceAsync(string objectName, CancellationToken cancellation) =>
        Call(UriOf(objectName), () => _client.DeleteObjectAsync(Bucket, objectName, cancellation));

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsClient) _client.Dispose();
    }

    private static async Task<T> Call<T>(string uri, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (AmazonServiceException e)
        {
            throw Translate(e, uri);
        }
        catch (AmazonClientException e)
        {
            throw Translate(e, uri);
        }
    }

    // S3's error code says what happened; the SDK's message is not repeated in full.
    private static ObjectStoreException Translate(AmazonServiceException e, string uri, string? code = null) => (code ?? e.ErrorCode) switch
    {
        "NoSuchBucket" => new ObjectStoreException($"{uri}: the bucket does not exist. Create it (aws s3 mb) or fix the URI.", transient: false, e),
        "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "AccessDenied" or "ExpiredToken" or "InvalidToken" => new ObjectStoreException(
            $"{uri}: S3 refused the credentials ({code ?? e.ErrorCode}). Check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE.", transient: false, e),
        "NoSuchKey" => new ObjectStoreException($"{uri}: there is no such object.", transient: false, e),
        _ when (int)e.StatusCode is 0 or 408 or 429 or >= 500 => new ObjectStoreException(
            $"{uri}: S3 answered {(int)e.StatusCode} ({e.ErrorCode ?? Innermost(e).Message})", transient: true, e),
        _ => new ObjectStoreException($"{uri}: S3 answered {(int)e.StatusCode} ({e.ErrorCode})", transient: false, e),
    };

    // Client-side: no credentials found (permanent), or the endpoint could not be reached (transient).
    private static ObjectStoreException Translate(AmazonClientException e, string uri) =>
        e.Message.Contains("credentials", StringComparison.OrdinalIgnoreCase)
            ? new ObjectStoreException(
                $"{uri}: no AWS credentials were found. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or pass an S3ObjectStore with a client.", transient: false, e)
            : new ObjectStoreException($"{uri}: {Innermost(e).Message}", transient: true, e);

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
