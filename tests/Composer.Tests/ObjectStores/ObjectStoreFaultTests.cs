using System.Diagnostics;
using Composer.Algorithms;
using Composer.Callbacks;
using Composer.Checkpoints;
using Composer.Core;
using Composer.Loggers;
using Composer.ObjectStores;
using Composer.Tests.Checkpoints;

namespace Composer.Tests.ObjectStores;

/// <summary>
/// What happens when the store fails: the emulator stops in the middle of an upload (behind <see cref="FaultProxy"/>)
/// and comes back, or does not; and a local cache disk without room for a checkpoint.
/// </summary>
[TestFixtureSource(typeof(Emulators), nameof(Emulators.Kinds))]
[NonParallelizable]
public class ObjectStoreFaultTests(string kind) : FolderTests
{
    /// <summary>After batch 3 (the checkpoint of batch 2 uploaded), the store stops during the next upload's body.</summary>
    private sealed class StopTheStore(CheckpointSaver saver, FaultProxy proxy, TimeSpan? downFor) : Callback
    {
        [OnEvent(Event.BatchEnd)]
        public void Arm(State state)
        {
            if (state.Timestamp.Batch != 3) return;
            saver.WaitForUploads(state);
            proxy.StopAfter(bytes: 1500, downFor);
        }
    }

    /// <summary>
    /// A run of 6 batches saving every 2 to a store behind a <see cref="FaultProxy"/>, which stops during the upload of
    /// batch 4's checkpoint for <c>downFor</c> (for good when null).
    /// </summary>
    private sealed class StoppedRun : IDisposable
    {
        private readonly ObjectStore _store;

        public StoppedRun(string kind, string local, int attempts, double backoffSeconds, TimeSpan? downFor)
        {
            Bucket = Emulators.NewBucket(kind);
            Proxy = new FaultProxy(Emulators.Endpoint(kind));
            _store = Emulators.Store(kind, Bucket, through: Proxy.Uri, attempts: attempts, backoffSeconds: backoffSeconds);
            Local = local;
            var saver = new CheckpointSaver($"{kind}://{Bucket}/run", filename: "b{batch}.ckpt", saveInterval: "2ba", localFolder: local, objectStore: _store);
            Trainer = new Training.BareOptionsTrainer(CheckpointSetup.Options(maxDuration: "6ba") with
            {
                RunName = "r",
                Callbacks = [saver, new StopTheStore(saver, Proxy, downFor)],
            });
        }

        public string Bucket { get; }

        public FaultProxy Proxy { get; }

        public string Local { get; }

        public Training.BareOptionsTrainer Trainer { get; }

        public void Dispose()
        {
            _store.Dispose();
            Proxy.Dispose();
        }
    }

    [Test]
    public void AnUploadCutMidwayIsRetriedWhenTheStoreComesBackAndEveryCheckpointArrivesWhole()
    {
        using var run = new StoppedRun(kind, Folder(), attempts: 6, backoffSeconds: 0.2, downFor: TimeSpan.FromSeconds(1));
        (string bucket, FaultProxy proxy, string local, var trainer) = (run.Bucket, run.Proxy, run.Local, run.Trainer);

        trainer.Fit();

        Assert.That(proxy.Cuts, Is.EqualTo(1), "the upload of batch 4's checkpoint was cut once");
        Assert.That(proxy.Refused, Is.GreaterThan(0), "and the retries found the store stopped before it came back");
        using ObjectStore direct = Emulators.Store(kind, bucket);
        Assert.That(direct.ListAsync("run/").GetAwaiter().GetResult(),
            Is.EquivalentTo(new[] { "run/b2.ckpt", "run/b4.ckpt", "run/b6.ckpt", "run/latest.ckpt.symlink" }));
        foreach (string name in new[] { "b2.ckpt", "b4.ckpt", "b6.ckpt" })
            Assert.That(Download(direct, $"run/{name}"), Is.EqualTo(File.ReadAllBytes(Path.Combine(local, name))), $"{name} arrived whole");
        Assert.That(System.Text.Encoding.UTF8.GetString(Download(direct, "run/latest.ckpt.symlink")), Is.EqualTo("run/b6.ckpt"));
    }

    [Test]
    public void AStoreThatStaysDownLetsTrainingFinishReportsEachFailedUploadAndLeavesTheLatestPointerOnAWholeCheckpoint()
    {
        using var run = new StoppedRun(kind, Folder(), attempts: 3, backoffSeconds: 0.05, downFor: null);
        (string bucket, string local, var trainer) = (run.Bucket, run.Local, run.Trainer);

        var stderr = new StringWriter();
        TextWriter original = Console.Error;
        Console.SetError(stderr);
        ObjectStoreException? error;
        try
        {
            error = Assert.Throws<ObjectStoreException>(() => trainer.Fit());
        }
        finally
        {
            Console.SetError(original);
        }

        Assert.That(trainer.State.Timestamp.Batch, Is.EqualTo(6), "training went on to the end");
        Assert.That(error!.Message, Does.Contain("2 upload job(s) failed").And.Contain("run/b4.ckpt").And.Contain("run/b6.ckpt").And.Contain("3 attempts"));
        Assert.That(stderr.ToString(), Does.Contain($"could not upload {kind}://{bucket}/run/b4.ckpt"), "reported when it failed, not only at the end");
        // Nothing is lost locally, and the store's latest is still the whole checkpoint of batch 2.
        Assert.That(CheckpointSetup.Snapshot(local).Keys, Is.EqualTo(new[] { "b2.ckpt", "b4.ckpt", "b6.ckpt", "latest.ckpt" }));
        using ObjectStore direct = Emulators.Store(kind, bucket);
        Assert.That(System.Text.Encoding.UTF8.GetString(Download(direct, "run/latest.ckpt.symlink")), Is.EqualTo("run/b2.ckpt"));
        string path = Path.Combine(Folder(), "b2.ckpt");
        File.WriteAllBytes(path, Download(direct, "run/b2.ckpt"));
        Assert.That(Checkpoint.Read(path).Timestamp!.Value.Batch, Is.EqualTo(2), "the pointer's checkpoint reads whole");
        // Azure commits a blob only when its upload completes; s3rver (unlike S3, which checks Content-Length) may keep a
        // cut body, which is why nothing is taken as a checkpoint until its pointer names it.
        if (kind == Emulators.Azure)
            Assert.That(direct.SizeAsync("run/b4.ckpt").GetAwaiter().GetResult(), Is.Null, "a cut upload leaves no blob");
    }

    [Test]
    public void ARemoteUploaderDownloaderReportsUploadsThatFailAtFitEnd()
    {
        string bucket = Emulators.NewBucket(kind);
        using var proxy = new FaultProxy(Emulators.Endpoint(kind));
        using ObjectStore store = Emulators.Store(kind, bucket, through: proxy.Uri, attempts: 2, backoffSeconds: 0.05);
        var uploader = new RemoteUploaderDownloader($"{kind}://{bucket}", objectStore: store);
        var saver = new CheckpointSaver(Folder(), saveInterval: "2ba");
        var trainer = new Training.BareOptionsTrainer(CheckpointSetup.Options(maxDuration: "4ba") with
        {
            RunName = "r",
            Callbacks = [saver],
            Loggers = [uploader],
        });
        proxy.StopAfter(0);
        var error = Assert.Throws<ObjectStoreException>(() => trainer.Fit());
        Assert.That(error!.Message, Does.Contain("2 upload job(s) failed")
            .And.Contain($"{kind}://{bucket}/r/checkpoints/ep0-ba2.ckpt").And.Contain($"{kind}://{bucket}/r/checkpoints/ep0-ba4.ckpt"));
    }

    [Test]
    public void ALoadPathLargerThanTheCacheDiskIsAClearErrorAndLeavesNoPartialFile()
    {
        string bucket = Emulators.NewBucket(kind);
        using ObjectStore store = Emulators.Store(kind, bucket);
        store.UploadAsync("run/big.ckpt", new MemoryStream(new byte[512 * 1024])).GetAwaiter().GetResult();
        string cache = Folder();
        if (!Mount($"-t tmpfs -o size=128k tmpfs {cache}"))
            Assert.Ignore("mounting a 128 KiB tmpfs needs root (.ci/run runs as root).");
        try
        {
            var error = Assert.Throws<ObjectStoreException>(() => new ResumableTrainer(new MixUp(), new Ema("3ba"), new CheckpointSaver(Folder()), new Interruption(),
                CheckpointSetup.Options(maxDuration: "2ba") with
                {
                    LoadPath = $"{kind}://{bucket}/run/big.ckpt",
                    LoadCacheFolder = cache,
                    LoadObjectStore = store,
                }));
            Assert.That(error!.Message, Does.Contain("is 0.5 MiB").And.Contain($"the cache folder {Path.Combine(cache, kind, bucket, "run")}")
                .And.Contain("LoadCacheFolder"));
            Assert.That(Directory.GetFiles(cache, "*", SearchOption.AllDirectories), Is.Empty, "no partial download");
        }
        finally
        {
            Mount($"-l {cache}", command: "umount");
        }
    }

    private static bool Mount(string arguments, string command = "mount")
    {
        try
        {
            using Process process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static byte[] Download(ObjectStore store, string name)
    {
        string path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"));
        store.DownloadAsync(name, path).GetAwaiter().GetResult();
        byte[] bytes = File.ReadAllBytes(path);
        File.Delete(path);
        return bytes;
    }
}
