using Amazon.S3;
using Azure.Storage.Blobs;
using Composer.ObjectStores;

namespace Composer.Tests.ObjectStores;

/// <summary>
/// The store emulators .ci/emulators starts: Azurite (Azure Blob Storage) and s3rver (S3). Their endpoints come in
/// COMPOSER_TEST_AZURITE and COMPOSER_TEST_S3; without them the tests that need one are skipped, saying how to start them.
/// </summary>
internal static class Emulators
{
    public const string Azure = "azure";
    public const string S3 = "s3";

    // Azurite's well-known development account and s3rver's default key pair: public values, not secrets.
    public const string AzuriteAccount = "devstoreaccount1";
    public const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    public const string S3rverKey = "S3RVER";

    public static readonly string[] Kinds = [Azure, S3];

    /// <summary>The emulator's endpoint, or the test is skipped.</summary>
    public static Uri Endpoint(string kind)
    {
        string variable = kind == Azure ? "COMPOSER_TEST_AZURITE" : "COMPOSER_TEST_S3";
        string? endpoint = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrEmpty(endpoint))
            Assert.Ignore($"{variable} is not set: start the emulators with 'source .ci/emulators start' (.ci/run does).");
        return new Uri(endpoint!);
    }

    /// <summary>Sets the SDKs' standard variables for the emulator, so stores made from URIs reach it; inherited by child processes.</summary>
    public static void UseFromEnvironment(string kind)
    {
        Uri endpoint = Endpoint(kind);
        if (kind == Azure)
        {
            Environment.SetEnvironmentVariable("AZURE_STORAGE_CONNECTION_STRING", ConnectionString(endpoint, AzuriteKey));
        }
        else
        {
            Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", S3rverKey);
            Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", S3rverKey);
            Environment.SetEnvironmentVariable("S3_ENDPOINT_URL", endpoint.ToString());
        }
    }

    /// <summary>A store on the emulator (or on <paramref name="through"/>, a proxy to it), with the given key and retries.</summary>
    public static ObjectStore Store(string kind, string bucket, Uri? through = null, string? key = null, int attempts = 3, double backoffSeconds = 0.1)
    {
        Uri endpoint = Endpoint(kind);
        if (through is not null) endpoint = new UriBuilder(endpoint) { Port = through.Port }.Uri;
        TimeSpan backoff = TimeSpan.FromSeconds(backoffSeconds);
        if (kind == Azure)
        {
            var container = new BlobContainerClient(ConnectionString(endpoint, key ?? AzuriteKey), bucket, AzureBlobObjectStore.ClientOptions(TimeSpan.FromSeconds(20)));
            return new AzureBlobObjectStore(container) { Attempts = attempts, Backoff = backoff };
        }
        AmazonS3Config config = S3ObjectStore.ConfigFromEnvironment(endpoint.ToString());
        config.Timeout = TimeSpan.FromSeconds(20);
        // s3rver checks the key id but not SigV4 signatures: wrong credentials are a wrong id and secret.
        var client = new AmazonS3Client(new Amazon.Runtime.BasicAWSCredentials(key is null ? S3rverKey : "WRONGKEYID", key ?? S3rverKey), config);
        return new S3ObjectStore(bucket, client) { Attempts = attempts, Backoff = backoff };
    }

    /// <summary>Creates a bucket (container) with a new name and returns the name.</summary>
    public static string NewBucket(string kind)
    {
        string name = $"composer-{Guid.NewGuid():N}"[..30];
        Uri endpoint = Endpoint(kind);
        if (kind == Azure)
        {
            new BlobContainerClient(ConnectionString(endpoint, AzuriteKey), name).Create();
        }
        else
        {
            using var client = new AmazonS3Client(new Amazon.Runtime.BasicAWSCredentials(S3rverKey, S3rverKey), S3ObjectStore.ConfigFromEnvironment(endpoint.ToString()));
            client.PutBucketAsync(name).GetAwaiter().GetResult();
        }
        return name;
    }

    public static string ConnectionString(Uri endpoint, string key) =>
        $"DefaultEndpointsProtocol=http;AccountName={AzuriteAccount};AccountKey={key};BlobEndpoint={endpoint.ToString().TrimEnd('/')};";
}
