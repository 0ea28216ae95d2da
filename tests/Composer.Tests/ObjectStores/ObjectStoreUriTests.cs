using Composer.Callbacks;
using Composer.ObjectStores;

namespace Composer.Tests.ObjectStores;

/// <summary>Which locations are object stores, and which store serves a scheme.</summary>
[NonParallelizable]
public class ObjectStoreUriTests
{
    [TestCase("s3://bucket/run/ckpts/", "s3", "bucket", "run/ckpts")]
    [TestCase("azure://container", "azure", "container", "")]
    [TestCase("S3://b//x", "s3", "b", "x")]
    public void ParsesSchemeBucketAndPath(string location, string scheme, string bucket, string path)
    {
        Assert.That(ObjectStoreUri.TryParse(location, out ObjectStoreUri uri), Is.True);
        Assert.That(uri, Is.EqualTo(new ObjectStoreUri(scheme, bucket, path)));
        Assert.That(uri.Key("latest.ckpt"), Is.EqualTo(path.Length == 0 ? "latest.ckpt" : $"{path}/latest.ckpt"));
    }

    [TestCase("checkpoints")]
    [TestCase("/tmp/run")]
    [TestCase(@"C:\runs\a")]
    [TestCase("file:///tmp/run")]
    public void PathsAndFileUrisAreLocal(string location) => Assert.That(ObjectStoreUri.IsRemote(location), Is.False);

    [Test]
    public void FileUrisBecomeTheirPath() => Assert.That(ObjectStoreUri.LocalPath("file:///tmp/run"), Is.EqualTo("/tmp/run"));

    [Test]
    public void ABucketlessUriIsAnError()
    {
        var error = Assert.Throws<ArgumentException>(() => ObjectStoreUri.IsRemote("s3:///run"));
        Assert.That(error!.Message, Does.Contain("names no bucket: write s3://<bucket>/<path>"));
    }

    [Test]
    public void AnUnknownSchemeNamesTheStoresThereAreAndHowToAddOne()
    {
        var error = Assert.Throws<NotSupportedException>(() => new CheckpointSaver("gs://bucket/run"));
        Assert.That(error!.Message, Does.Contain("No object store serves gs:// URIs").And.Contain("Composer.NET.S3")
            .And.Contain("ObjectStore.Register(\"gs\", ...)"));
    }

    [Test]
    public void TheReferencedPackagesServeTheirSchemesAndARegisteredStoreServesItsOwn()
    {
        using (new Environment(("AWS_REGION", "eu-west-1"), ("S3_ENDPOINT_URL", null), ("AWS_ENDPOINT_URL_S3", null)))
        {
            using ObjectStore s3 = ObjectStore.For(ObjectStoreUri.Parse("s3://bucket/run"));
            Assert.That(s3, Is.TypeOf<S3ObjectStore>());
            Assert.That(s3.UriOf("run/a.ckpt"), Is.EqualTo("s3://bucket/run/a.ckpt"));
        }

        string folder = Directory.CreateTempSubdirectory("composer-store-").FullName;
        ObjectStore.Register("test-local", bucket => new LocalObjectStore(Path.Combine(folder, bucket)));
        using ObjectStore local = ObjectStore.For(ObjectStoreUri.Parse("test-local://b/run"));
        Assert.That(((LocalObjectStore)local).Root, Is.EqualTo(Path.Combine(folder, "b")));
        Directory.Delete(folder, recursive: true);
    }

    [Test]
    public void S3WithoutARegionNamesWhereToSetOne()
    {
        using var _ = new Environment(("AWS_REGION", null), ("AWS_DEFAULT_REGION", null), ("S3_ENDPOINT_URL", null), ("AWS_ENDPOINT_URL_S3", null),
            ("AWS_CONFIG_FILE", "/nonexistent"), ("AWS_PROFILE", null));
        var error = Assert.Throws<ObjectStoreException>(() => new CheckpointSaver("s3://bucket/run"));
        Assert.That(error!.Message, Does.Contain("s3://bucket needs a region: set AWS_REGION"));
    }

    [Test]
    public void AzureWithoutCredentialsNamesTheVariablesToSet()
    {
        using var _ = new Environment(("AZURE_STORAGE_CONNECTION_STRING", null), ("AZURE_STORAGE_ACCOUNT", null), ("AZURE_STORAGE_KEY", null),
            ("AZURE_ACCOUNT_NAME", null), ("AZURE_ACCOUNT_ACCESS_KEY", null));
        var error = Assert.Throws<ObjectStoreException>(() => ObjectStore.For(ObjectStoreUri.Parse("azure://container/run")));
        Assert.That(error!.Message, Does.Contain("AZURE_STORAGE_CONNECTION_STRING").And.Contain("AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY"));
    }

    /// <summary>Sets environment variables (null removes one) until disposed.</summary>
    private sealed class Environment : IDisposable
    {
        private readonly (string Name, string? Value)[] _saved;

        public Environment(params (string Name, string? Value)[] variables)
        {
            _saved = variables.Select(v => (v.Name, System.Environment.GetEnvironmentVariable(v.Name))).ToArray();
            foreach ((string name, string? value) in variables) System.Environment.SetEnvironmentVariable(name, value);
        }

        public void Dispose()
        {
            foreach ((string name, string? value) in _saved) System.Environment.SetEnvironmentVariable(name, value);
        }
    }

    [Test]
    public void LocalFolderAndObjectStoreApplyOnlyToStoreFolders()
    {
        var error = Assert.Throws<ArgumentException>(() => new CheckpointSaver("checkpoints", localFolder: "elsewhere"));
        Assert.That(error!.Message, Does.Contain("apply to an object store folder"));
    }
}
