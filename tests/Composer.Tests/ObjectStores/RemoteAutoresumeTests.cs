using Composer.Tests.Checkpoints;
using static Composer.Tests.Distributed.MpiRun;

namespace Composer.Tests.ObjectStores;

/// <summary>
/// Autoresume from the store: a run checkpointing to <c>s3://</c> or <c>azure://</c> is killed with SIGKILL after batch
/// 23 of 64 (checkpoints every 5, their uploads done), its local folder is deleted, and the rerun continues from the
/// store's latest checkpoint to the uninterrupted run's weights, bit for bit. The worker (scenario "remote") runs alone.
/// </summary>
[TestFixtureSource(typeof(Emulators), nameof(Emulators.Kinds))]
[NonParallelizable]
public class RemoteAutoresumeTests(string kind) : FolderTests
{
    [Test]
    public void ARunKilledAndRerunWithoutItsLocalFolderResumesFromTheStoreBitwise()
    {
        Emulators.UseFromEnvironment(kind);
        Assert.That(File.Exists(Worker), Is.True, $"the worker is built beside the tests: {Worker}");
        string bucket = Emulators.NewBucket(kind);

        Outcome whole = Run(null, "remote", $"uri={kind}://{bucket}/whole", $"folder={Folder()}");
        Assert.That(whole.ExitCode, Is.EqualTo(0), whole.Output);

        string local = Folder();
        Outcome killed = Run(null, "remote", $"uri={kind}://{bucket}/crashed", $"folder={local}", "killAt=23");
        Assert.That(killed.ExitCode, Is.EqualTo(137), "killed by SIGKILL: " + killed.Output);
        Directory.Delete(local, recursive: true);

        Outcome rerun = Run(null, "remote", $"uri={kind}://{bucket}/crashed", $"folder={local}");
        Assert.That(rerun.ExitCode, Is.EqualTo(0), rerun.Output);
        var last = rerun.Ranks.Single();
        Assert.That(last.GetProperty("resumedAt").GetInt64(), Is.EqualTo(20), "resumed from the store's latest checkpoint");
        Assert.That(last.GetProperty("batches").GetInt64(), Is.EqualTo(64));
        Assert.That(last.GetProperty("weights").GetString(), Is.EqualTo(whole.Ranks.Single().GetProperty("weights").GetString()));
        Assert.That(Directory.GetFiles(local).Select(Path.GetFileName), Does.Contain("latest.ckpt"), "the local folder was made again");
    }
}
