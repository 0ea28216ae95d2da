using System.Text;
using Composer.Algorithms;
using Composer.Callbacks;
using Composer.Checkpoints;
using Composer.Core;
using Composer.ObjectStores;
using Composer.Tests.Checkpoints;
using static Composer.Tests.Training.ReproducibilityTests;

namespace Composer.Tests.ObjectStores;

/// <summary>
/// Azure Blob Storage (against Azurite) and S3 (against s3rver) behind one <see cref="ObjectStore"/>: the operations,
/// checkpoint folders in a store (save, rotate, the latest pointer, load), and the errors before training.
/// </summary>
[TestFixtureSource(typeof(Emulators), nameof(Emulators.Kinds))]
public class ObjectStoreTests(string kind) : FolderTests
{
    private static int[][] Weights(Trainer trainer) => trainer.State.Model.parameters().Select(p => Bits(p.detach().clone())).ToArray();

    [Test]
    public async Task UploadsSizesListsDownloadsAndDeletes()
    {
        string bucket = Emulators.NewBucket(kind);
        using ObjectStore store = Emulators.Store(kind, bucket);
        await store.CheckAccessAsync(CancellationToken.None);
        byte[] content = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray();
        await store.UploadAsync("run/a.bin", new MemoryStream(content));
        await store.UploadAsync("run/b.bin", new MemoryStream([1, 2, 3]));
        await store.UploadAsync("other/c.bin", new MemoryStream([4]));

        Assert.That(await store.SizeAsync("run/a.bin"), Is.EqualTo(content.Length));
        Assert.That(await store.SizeAsync("run/missing.bin"), Is.Null);
        Assert.That(await store.ListAsync("run/"), Is.EquivalentTo(new[] { "run/a.bin", "run/b.bin" }));
        string path = Path.Combine(Folder(), "a.bin");
        await store.DownloadAsync("run/a.bin", path);
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(content));

        // Replacing keeps one object with the new content.
        await store.UploadAsync("run/b.bin", new MemoryStream([9]));
        Assert.That(await store.SizeAsync("run/b.bin"), Is.EqualTo(1));
        await store.DeleteAsync("run/a.bin");
        await store.DeleteAsync("run/a.bin");
        Assert.That(await store.ListAsync("run/"), Is.EqualTo(new[] { "run/b.bin" }));

        var missing = Assert.ThrowsAsync<ObjectStoreException>(() => store.DownloadAsync("run/a.bin", Path.Combine(Folder(), "x")));
        Assert.That(missing!.Transient, Is.False, "a missing object is not retried");
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(path)!), Is.EqualTo(new[] { path }), "no partial download left behind");
    }

    [Test]
    public void ASaverInAStoreUploadsRotatesPointsAtTheLatestAndLoadsBack()
    {
        string bucket = Emulators.NewBucket(kind);
        using ObjectStore store = Emulators.Store(kind, bucket);
        string local = Folder();
        var saver = new CheckpointSaver($"{kind}://{bucket}/runs/{{run_name}}", filename: "b{batch}.ckpt", saveInterval: "2ba",
            numCheckpointsToKeep: 2, localFolder: local, objectStore: store);
        var options = CheckpointSetup.Options(maxDuration: "7ba");
        var trainer = new ResumableTrainer(new MixUp(), new Ema("3ba"), saver, new Interruption(), options with { RunName = "r" });
        trainer.Fit();

        // Saved at 2, 4, 6 and 7; the newest two are kept in the store as in the local folder.
        IReadOnlyList<string> names = store.ListAsync("runs/r/").GetAwaiter().GetResult();
        Assert.That(names, Is.EquivalentTo(new[] { "runs/r/b6.ckpt", "runs/r/b7.ckpt", "runs/r/latest.ckpt.symlink" }));
        Assert.That(Read(store, "runs/r/latest.ckpt.symlink"), Is.EqualTo("runs/r/b7.ckpt"), "the pointer holds the object name, as Composer's");
        string downloaded = Path.Combine(Folder(), "b7.ckpt");
        store.DownloadAsync("runs/r/b7.ckpt", downloaded).GetAwaiter().GetResult();
        Assert.That(File.ReadAllBytes(downloaded), Is.EqualTo(File.ReadAllBytes(Path.Combine(local, "b7.ckpt"))));

        // LoadPath through the pointer: downloaded into the cache folder, then loaded.
        string cache = Folder();
        var loaded = new ResumableTrainer(new MixUp(), new Ema("3ba"), new CheckpointSaver(Folder()), new Interruption(),
            CheckpointSetup.Options(seed: 99, maxDuration: "7ba") with { LoadPath = $"{kind}://{bucket}/runs/r/latest.ckpt.symlink", LoadCacheFolder = cache, LoadObjectStore = store });
        Assert.That(loaded.State.Timestamp.Batch, Is.EqualTo(7));
        Assert.That(Weights(loaded), Is.EqualTo(Weights(trainer)));
        Assert.That(File.Exists(Path.Combine(cache, kind, bucket, "runs", "r", "b7.ckpt")), Is.True, "<cache>/<scheme>/<bucket>/<name>");
    }

    [Test]
    public void ANewRunRefusesAStoreFolderThatHoldsAnEarlierRun()
    {
        string bucket = Emulators.NewBucket(kind);
        using ObjectStore store = Emulators.Store(kind, bucket);
        store.UploadAsync("run/ep1-ba5.ckpt", new MemoryStream([1])).GetAwaiter().GetResult();
        var saver = new CheckpointSaver($"{kind}://{bucket}/run", localFolder: Folder(), objectStore: store);
        var trainer = new ResumableTrainer(new MixUp(), new Ema("3ba"), saver, new Interruption(), CheckpointSetup.Options(maxDuration: "2ba"));
        var error = Assert.Throws<InvalidOperationException>(() => trainer.Fit());
        Assert.That(error!.Message, Does.Contain($"{kind}://{bucket}/run").And.Contain("Autoresume"));
        Assert.That(trainer.State.Timestamp.Batch, Is.EqualTo(0));
    }

    [Test]
    public void AMissingBucketIsAClearErrorBeforeTheFirstBatch()
    {
        using ObjectStore store = Emulators.Store(kind, "composer-no-such-bucket");
        var saver = new CheckpointSaver($"{kind}://composer-no-such-bucket/run", localFolder: Folder(), objectStore: store);
        var trainer = new ResumableTrainer(new MixUp(), new Ema("3ba"), saver, new Interruption(), CheckpointSetup.Options(maxDuration: "2ba"));
        var error = Assert.Throws<ObjectStoreException>(() => trainer.Fit());
        Assert.That(error!.Message, Does.Contain("composer-no-such-bucket").And.Contain("does not exist"));
        Assert.That(error.Transient, Is.False);
        Assert.That(trainer.State.Timestamp.Batch, Is.EqualTo(0));
    }

    [Test]
    public void WrongCredentialsAreAClearErrorThatDoesNotPrintThem()
    {
        string bucket = Emulators.NewBucket(kind);
        string wrong = kind == Emulators.Azure ? Convert.ToBase64String(Encoding.UTF8.GetBytes("not-the-account-key-at-all-0123456789")) : "NOT-THE-SECRET-0123456789";
        using ObjectStore store = Emulators.Store(kind, bucket, key: wrong);
        var saver = new CheckpointSaver($"{kind}://{bucket}/run", localFolder: Folder(), objectStore: store);
        var trainer = new ResumableTrainer(new MixUp(), new Ema("3ba"), saver, new Interruption(), CheckpointSetup.Options(maxDuration: "2ba"));
        var error = Assert.Throws<ObjectStoreException>(() => trainer.Fit());
        Assert.That(error!.Message, Does.Contain("refused the credentials"));
        Assert.That(error.ToString(), Does.Not.Contain(wrong), "the secret appears nowhere in the exception");
        Assert.That(trainer.State.Timestamp.Batch, Is.EqualTo(0));
    }

    [Test]
    public void BestCheckpointsInAStoreKeepTheBestTwoWithAPointerAndLoadTheBestAtTheEnd()
    {
        string bucket = Emulators.NewBucket(kind);
        using ObjectStore store = Emulators.Store(kind, bucket);
        string local = Folder();
        var best = new BestCheckpoints($"{kind}://{bucket}/best", keep: 2, loadBestAtEnd: true, localFolder: local, objectStore: store);
        var options = Training.TestSetup.Options("6ep", evalInterval: "1ep", callbacks: [best]);
        new Training.BareOptionsTrainer(options).Fit();

        IReadOnlyList<string> names = store.ListAsync("best/").GetAwaiter().GetResult();
        Assert.That(names, Is.EquivalentTo(best.Best.Select(b => $"best/{b.File}").Append("best/best.ckpt.symlink")));
        Assert.That(Read(store, "best/best.ckpt.symlink"), Is.EqualTo($"best/{best.Best[0].File}"));
        string downloaded = Path.Combine(Folder(), "best.ckpt");
        store.DownloadAsync($"best/{best.Best[0].File}", downloaded).GetAwaiter().GetResult();
        var weights = Checkpoint.Read(downloaded);
        using var fresh = new Composer.Models.ComposerClassifier(TorchSharp.torch.nn.Linear(4, 3), numClasses: 3);
        weights.LoadModel(fresh);
        foreach ((string name, TorchSharp.torch.Tensor weight) in options.Model.state_dict())
            Assert.That(fresh.state_dict()[name].equal(weight).all().item<bool>(), $"the model ended with the best weights: {name}");
    }

    private static string Read(ObjectStore store, string name)
    {
        string path = Path.GetTempFileName();
        File.Delete(path);
        store.DownloadAsync(name, path).GetAwaiter().GetResult();
        string text = File.ReadAllText(path);
        File.Delete(path);
        return text;
    }
}
