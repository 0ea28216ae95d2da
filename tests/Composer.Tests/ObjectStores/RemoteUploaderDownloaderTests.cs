using Composer.Callbacks;
using Composer.Loggers;
using Composer.ObjectStores;
using Composer.Tests.Checkpoints;

namespace Composer.Tests.ObjectStores;

/// <summary>The logger destination that uploads what other members log, named by Composer's format string.</summary>
public class RemoteUploaderDownloaderTests : FolderTests
{
    [Test]
    public void UploadsTheCheckpointsASaverLogsUnderTheFormattedNamesAndDownloadsThemBack()
    {
        string bucket = Folder();
        string local = Folder();
        var uploader = new RemoteUploaderDownloader(bucket, filePathFormatString: "/{run_name}/rank{rank}-of-{world_size}/{remote_file_name}");
        var saver = new CheckpointSaver(local, saveInterval: "2ba");
        var trainer = new Training.BareOptionsTrainer(CheckpointSetup.Options(maxDuration: "4ba") with
        {
            RunName = "r",
            Callbacks = [saver],
            Loggers = [uploader],
        });
        trainer.Fit();

        string[] uploaded = Directory.GetFiles(bucket, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(bucket, f)).Order().ToArray();
        Assert.That(uploaded, Is.EqualTo(new[] { "r/rank0-of-1/r/checkpoints/ep0-ba2.ckpt", "r/rank0-of-1/r/checkpoints/ep0-ba4.ckpt" }));
        foreach (string name in new[] { "ep0-ba2.ckpt", "ep0-ba4.ckpt" })
            Assert.That(File.ReadAllBytes(Path.Combine(bucket, "r", "rank0-of-1", "r", "checkpoints", name)), Is.EqualTo(File.ReadAllBytes(Path.Combine(local, name))));

        string back = Path.Combine(Folder(), "back.ckpt");
        uploader.DownloadFile(trainer.State, "r/checkpoints/ep0-ba4.ckpt", back);
        Assert.That(File.ReadAllBytes(back), Is.EqualTo(File.ReadAllBytes(Path.Combine(local, "ep0-ba4.ckpt"))));
    }

    [Test]
    public void WhatIsUploadedIsTheFileAsItWasWhenLoggedEvenIfItIsDeletedBeforeTheUpload()
    {
        var store = new FakeStore();
        var gate = new TaskCompletionSource();
        store.Delay = _ => gate.Task;
        var uploader = new RemoteUploaderDownloader("fake://bucket", objectStore: store);
        var state = new Training.BareOptionsTrainer(Training.TestSetup.Options("1ba")).State;
        string path = Path.Combine(Folder(), "a.txt");
        File.WriteAllBytes(path, [1, 2, 3]);
        uploader.UploadFile(state, "a.txt", path);
        File.Delete(path);
        gate.SetResult();
        uploader.WaitForUploads(state);
        Assert.That(store.Objects["a.txt"], Is.EqualTo(new byte[] { 1, 2, 3 }));
    }

    [Test]
    public void AnUnknownPlaceholderIsAnErrorListingTheKnownOnes()
    {
        var error = Assert.Throws<ArgumentException>(() => new RemoteUploaderDownloader(Folder(), "{node_rank}/{remote_file_name}"));
        Assert.That(error!.Message, Does.Contain("{remote_file_name}, {run_name}, {rank}, {local_rank}, {world_size}"));
    }
}
