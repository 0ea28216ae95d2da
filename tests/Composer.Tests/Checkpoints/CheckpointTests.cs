using System.IO.Compression;
using Composer.Algorithms;
using Composer.Callbacks;
using Composer.Checkpoints;
using Composer.Core;
using static Composer.Tests.Training.ReproducibilityTests;
using static TorchSharp.torch;

namespace Composer.Tests.Checkpoints;

public class CheckpointTests : FolderTests
{
    private static int[][] Weights(ResumableTrainer trainer) =>
        trainer.State.Model.parameters().Select(p => Bits(p.detach().clone())).ToArray();

    private static int[][] Average(Ema ema) => ema.Average.Values.Select(t => Bits(t.clone())).ToArray();

    private (int[][] Weights, int[][] Average) Uninterrupted(bool adamWithTorchScheduler = false)
    {
        Ema ema = new("3ba");
        var trainer = new ResumableTrainer(new MixUp(alpha: 1.0), ema, new CheckpointSaver(Folder()), new Interruption(),
            CheckpointSetup.Options(adamWithTorchScheduler: adamWithTorchScheduler));
        trainer.Fit();
        Assert.That(trainer.State.Timestamp.Batch, Is.EqualTo(15));
        return (Weights(trainer), Average(ema));
    }

    // 5 is an epoch boundary, 7 and 13 are mid-epoch.
    [TestCase(5)]
    [TestCase(7)]
    [TestCase(13)]
    public void ARunStoppedAfterAnyBatchAndResumedEndsBitwiseEqualToAnUninterruptedRun(int stopAfter)
    {
        (int[][] expectedWeights, int[][] expectedAverage) = Uninterrupted();

        string folder = Folder();
        var first = CheckpointSetup.Trainer(CheckpointSetup.Options(), folder, new Interruption(stopAfterBatch: stopAfter));
        first.Fit();
        Assert.That(first.State.Timestamp.Batch, Is.EqualTo(stopAfter));

        // Another seed and another initialisation: the checkpoint must bring back the saved run's.
        Ema ema = new("3ba");
        var resumed = new ResumableTrainer(new MixUp(alpha: 1.0), ema, new CheckpointSaver(folder), new Interruption(),
            CheckpointSetup.Options(seed: 99, autoresume: true));
        Assert.That(resumed.State.Timestamp.Batch, Is.EqualTo(stopAfter), "resumed from the latest checkpoint");
        Assert.That(resumed.State.Seed, Is.EqualTo(5), "the saved run's seed");
        resumed.Fit();

        Assert.That(resumed.State.Timestamp.Batch, Is.EqualTo(15));
        Assert.That(Weights(resumed), Is.EqualTo(expectedWeights), "model weights");
        Assert.That(Average(ema), Is.EqualTo(expectedAverage), "EMA's averaged weights");
    }

    [TestCase(5)]
    [TestCase(7)]
    [TestCase(12)]
    public void ResumingRestoresAdamAndReplaysTorchSharpSchedulers(int stopAfter)
    {
        (int[][] expected, _) = Uninterrupted(adamWithTorchScheduler: true);

        string folder = Folder();
        CheckpointSetup.Trainer(CheckpointSetup.Options(adamWithTorchScheduler: true), folder, new Interruption(stopAfterBatch: stopAfter)).Fit();
        var resumed = CheckpointSetup.Trainer(CheckpointSetup.Options(seed: 99, autoresume: true, adamWithTorchScheduler: true), folder);
        // MultiStepLR counts its steps: the rate halves once two epochs are done. Stopping after batch 5 saves before
        // epoch 0 is closed (its EpochEnd comes in the resumed run).
        long epochs = resumed.State.Timestamp.Epoch;
        Assert.That(epochs, Is.EqualTo((stopAfter - 1) / CheckpointSetup.BatchesPerEpoch));
        Assert.That(resumed.State.Optimizer.ParamGroups.First().LearningRate, Is.EqualTo(epochs >= 2 ? 0.005 : 0.01).Within(1e-12));
        resumed.Fit();

        Assert.That(Weights(resumed), Is.EqualTo(expected));
    }

    [Test]
    public void AfterACrashRerunningWithAutoresumeContinuesFromTheLatestCheckpointExactly()
    {
        (int[][] expectedWeights, _) = Uninterrupted();

        string folder = Folder();
        // Checkpoints at batches 3, 6 (mid-epoch) and 9; the crash comes inside batch 8.
        var crashed = CheckpointSetup.Trainer(CheckpointSetup.Options(autoresume: true), folder, new Interruption(crashInBatch: 8), saveInterval: "3ba");
        Assert.Throws<SimulatedCrash>(() => crashed.Fit());
        Assert.That(new FileInfo(Path.Combine(folder, "latest.ckpt")).LinkTarget, Is.EqualTo("ep1-ba6.ckpt"));

        var rerun = CheckpointSetup.Trainer(CheckpointSetup.Options(autoresume: true), folder, saveInterval: "3ba");
        Assert.That(rerun.State.Timestamp, Is.EqualTo(rerun.State.Timestamp with { Epoch = 1, Batch = 6, BatchInEpoch = 1 }));
        rerun.Fit();
        Assert.That(Weights(rerun), Is.EqualTo(expectedWeights));
    }

    [Test]
    public void AutoresumeWithNoCheckpointYetStartsFromTheBeginning()
    {
        var trainer = CheckpointSetup.Trainer(CheckpointSetup.Options(autoresume: true, maxDuration: "2ba"), Folder());
        Assert.That(trainer.State.Timestamp.Batch, Is.EqualTo(0));
        trainer.Fit();
        Assert.That(trainer.State.Timestamp.Batch, Is.EqualTo(2));
    }

    [Test]
    public void TheCheckpointHoldsModelOptimizerRngTimestampAndTheMembersState()
    {
        string folder = Folder();
        CheckpointSetup.Trainer(CheckpointSetup.Options(maxDuration: "1ep"), folder).Fit();

        string path = Path.Combine(folder, "ep1-ba5.ckpt");
        using (ZipArchive zip = ZipFile.OpenRead(path))
            Assert.That(zip.Entries.Select(e => e.FullName), Is.EquivalentTo(new[]
            {
                "composer-checkpoint.json", "model.bin", "optimizer.bin", "rng.bin",
                "members/Composer.Algorithms.Ema.bin", "members/Composer.Callbacks.CheckpointSaver.bin",
            }));
        CheckpointContents contents = Checkpoint.Read(path);
        Assert.That(contents.WeightsOnly, Is.False);
        Assert.That(contents.Timestamp!.Value.Epoch, Is.EqualTo(1));
        Assert.That(contents.Timestamp!.Value.Batch, Is.EqualTo(5));
        Assert.That(contents.Seed, Is.EqualTo(5));
        Assert.That(contents.MemberKeys, Is.EqualTo(new[] { "Composer.Algorithms.Ema", "Composer.Callbacks.CheckpointSaver" }));
    }

    [Test]
    public void TheSaverFollowsItsIntervalNamePatternLatestLinkAndKeepsTheNewestN()
    {
        string folder = Folder();
        var saver = new CheckpointSaver(folder, filename: "{run_name}-b{batch}.ckpt", saveInterval: "2ba", numCheckpointsToKeep: 2);
        var options = CheckpointSetup.Options(maxDuration: "7ba");
        var trainer = new ResumableTrainer(new MixUp(), new Ema("3ba"), saver, new Interruption(),
            new TrainerOptions { Model = options.Model, TrainDataloader = options.TrainDataloader, MaxDuration = options.MaxDuration, RunName = "r" });
        trainer.Fit();

        // Saved at 2, 4, 6 and at the end (7); the two newest are kept.
        Assert.That(CheckpointSetup.Snapshot(folder).Keys, Is.EqualTo(new[] { "latest.ckpt", "r-b6.ckpt", "r-b7.ckpt" }));
        Assert.That(new FileInfo(Path.Combine(folder, "latest.ckpt")).LinkTarget, Is.EqualTo("r-b7.ckpt"));
        Assert.That(saver.SavedCheckpoints.Select(Path.GetFileName), Is.EqualTo(new[] { "r-b6.ckpt", "r-b7.ckpt" }));
    }

    [Test]
    public void AnEpochIntervalSavesAtEpochCheckpointAndOnceAtTheEnd()
    {
        string folder = Folder();
        // 8 batches end mid-epoch 1: saved after epoch 1 (batch 5) and at the end (batch 8).
        CheckpointSetup.Trainer(CheckpointSetup.Options(maxDuration: "8ba"), folder).Fit();
        Assert.That(CheckpointSetup.Snapshot(folder).Keys, Is.EqualTo(new[] { "ep1-ba5.ckpt", "ep1-ba8.ckpt", "latest.ckpt" }));
    }

    [Test]
    public void WeightsOnlyCheckpointsHoldTheModelAndStartANewRun()
    {
        string folder = Folder();
        var options = CheckpointSetup.Options(maxDuration: "1ep");
        new SavingTrainer(new CheckpointSaver(folder, weightsOnly: true), new FailingState(), options).Fit();
        int[][] saved = options.Model.parameters().Select(p => Bits(p.detach().clone())).ToArray();
        string path = Path.Combine(folder, "ep1-ba5.ckpt");
        using (ZipArchive zip = ZipFile.OpenRead(path))
            Assert.That(zip.Entries.Select(e => e.FullName), Is.EquivalentTo(new[] { "composer-checkpoint.json", "model.bin" }));

        var fineTune = CheckpointSetup.Trainer(CheckpointSetup.Options(seed: 8, loadPath: path), Folder());
        Assert.That(Weights(fineTune), Is.EqualTo(saved));
        Assert.That(fineTune.State.Timestamp.Batch, Is.EqualTo(0));
        Assert.That(fineTune.State.Seed, Is.EqualTo(8));
    }

    [Test]
    public void LoadWeightsOnlyTakesJustTheModelFromAFullCheckpoint()
    {
        string folder = Folder();
        var first = CheckpointSetup.Trainer(CheckpointSetup.Options(maxDuration: "1ep"), folder);
        first.Fit();
        var second = CheckpointSetup.Trainer(CheckpointSetup.Options(seed: 8, loadPath: Path.Combine(folder, "latest.ckpt"), loadWeightsOnly: true), Folder());
        Assert.That(Weights(second), Is.EqualTo(Weights(first)));
        Assert.That(second.State.Timestamp.Batch, Is.EqualTo(0));
    }

    [Test]
    public void ATruncatedCheckpointFailsClearlyAndLeavesTheFolderAndModelAsTheyWere()
    {
        string folder = Folder();
        CheckpointSetup.Trainer(CheckpointSetup.Options(maxDuration: "1ep"), folder).Fit();
        string path = Path.Combine(folder, "ep1-ba5.ckpt");
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var before = CheckpointSetup.Snapshot(folder);

        var options = CheckpointSetup.Options(autoresume: true);
        int[][] initial = options.Model.parameters().Select(p => Bits(p.detach().clone())).ToArray();
        var error = Assert.Throws<CheckpointException>(() => CheckpointSetup.Trainer(options, folder));

        Assert.That(error!.Message, Does.Contain("latest.ckpt").And.Contain("truncated or damaged"));
        Assert.That(CheckpointSetup.Snapshot(folder), Is.EqualTo(before));
        Assert.That(options.Model.parameters().Select(p => Bits(p.detach().clone())).ToArray(), Is.EqualTo(initial));
    }

    [Test]
    public void ADamagedByteFailsItsChecksum()
    {
        string folder = Folder();
        CheckpointSetup.Trainer(CheckpointSetup.Options(maxDuration: "1ep"), folder).Fit();
        string path = Path.Combine(folder, "ep1-ba5.ckpt");
        byte[] bytes = File.ReadAllBytes(path);
        // Inside the stored (uncompressed) model entry: after its 30-byte local header and name.
        int model = LocalEntry(bytes, "model.bin") + 100;
        bytes[model] ^= 0xFF;
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Read(path));
        Assert.That(error!.Message, Does.Contain("model.bin does not match its checksum"));
    }

    [TestCase("hello, world", "not a Composer.NET checkpoint (it is not a zip archive)")]
    [TestCase("", "not a Composer.NET checkpoint (it is not a zip archive)")]
    [TestCase("zip", "has no composer-checkpoint.json")]
    public void AForeignFileFailsClearly(string content, string expected)
    {
        string folder = Folder();
        string path = Path.Combine(folder, "foreign.ckpt");
        if (content == "zip")
        {
            using ZipArchive zip = ZipFile.Open(path, ZipArchiveMode.Create);
            using StreamWriter writer = new(zip.CreateEntry("weights.txt").Open());
            writer.Write("not ours");
        }
        else
        {
            File.WriteAllText(path, content);
        }
        var before = CheckpointSetup.Snapshot(folder);

        var error = Assert.Throws<CheckpointException>(() => CheckpointSetup.Trainer(CheckpointSetup.Options(loadPath: path), Folder()));
        Assert.That(error!.Message, Does.Contain(expected).And.Contain("foreign.ckpt"));
        Assert.That(CheckpointSetup.Snapshot(folder), Is.EqualTo(before));
    }

    [Test]
    public void AFailedSaveLeavesTheLastGoodCheckpointAndLatestLinkUntouched()
    {
        string folder = Folder();
        // Saves at batch 2, then the save at batch 4 fails as a full disk would.
        var run = new SavingTrainer(new CheckpointSaver(folder, saveInterval: "2ba"), new FailingState(failFromBatch: 4), CheckpointSetup.Options(maxDuration: "1ep"));

        Assert.Throws<IOException>(() => run.Fit(), "the failure is reported, not swallowed");

        Assert.That(CheckpointSetup.Snapshot(folder).Keys, Is.EqualTo(new[] { "ep0-ba2.ckpt", "latest.ckpt" }), "no temporary file is left");
        Assert.That(new FileInfo(Path.Combine(folder, "latest.ckpt")).LinkTarget, Is.EqualTo("ep0-ba2.ckpt"));
        Assert.That(Checkpoint.Read(Path.Combine(folder, "latest.ckpt")).Timestamp!.Value.Batch, Is.EqualTo(2));
    }

    [Test]
    public void AnInterruptedWriteNeverReplacesTheFileItTargets()
    {
        string folder = Folder();
        string path = Path.Combine(folder, "file.ckpt");
        File.WriteAllText(path, "the last good checkpoint");

        Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[4096]);
            throw new IOException("the process died mid-write (simulated)");
        }));

        Assert.That(File.ReadAllText(path), Is.EqualTo("the last good checkpoint"));
        Assert.That(Directory.GetFiles(folder).Select(Path.GetFileName), Is.EqualTo(new[] { "file.ckpt" }), "no temporary file is left");
    }

    [Test]
    public void ANewRunRefusesAFolderWithAnEarlierRunsCheckpoints()
    {
        string folder = Folder();
        CheckpointSetup.Trainer(CheckpointSetup.Options(maxDuration: "2ba"), folder, saveInterval: "1ba").Fit();
        var before = CheckpointSetup.Snapshot(folder);

        var second = CheckpointSetup.Trainer(CheckpointSetup.Options(maxDuration: "2ba"), folder, saveInterval: "1ba");
        var error = Assert.Throws<InvalidOperationException>(() => second.Fit());
        Assert.That(error!.Message, Does.Contain("Autoresume"));
        Assert.That(second.State.Timestamp.Batch, Is.EqualTo(0));
        Assert.That(CheckpointSetup.Snapshot(folder), Is.EqualTo(before));
    }

    [Test]
    public void AutoresumeWithoutACheckpointSaverNamesTheFix()
    {
        var options = CheckpointSetup.Options(autoresume: true);
        var error = Assert.Throws<InvalidOperationException>(() => new Training.MixUpRecordingTrainer(new MixUp(), new Training.EventRecorder(), options));
        Assert.That(error!.Message, Does.Contain("add a CheckpointSaver"));
    }

    [Test]
    public void ACheckpointWithoutAMembersStateNamesTheMember()
    {
        string folder = Folder();
        var options = CheckpointSetup.Options(maxDuration: "1ep");
        new SavingTrainer(new CheckpointSaver(folder), new FailingState(), options).Fit();

        var error = Assert.Throws<CheckpointException>(() =>
            CheckpointSetup.Trainer(CheckpointSetup.Options(loadPath: Path.Combine(folder, "latest.ckpt")), Folder()));
        Assert.That(error!.Message, Does.Contain("no state for the member Composer.Algorithms.Ema").And.Contain("LoadWeightsOnly"));
    }

    [TestCase("ep{epoch}-{step}.ckpt", "Unknown placeholder {step}")]
    [TestCase("sub/ep{epoch}.ckpt", "cannot contain a folder")]
    public void BadFileNamePatternsAreRejectedWithTheAcceptedOnes(string pattern, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => new CheckpointSaver("ckpts", filename: pattern));
        Assert.That(error!.Message, Does.Contain(expected));
    }

    private static int LocalEntry(byte[] zip, string name)
    {
        byte[] header = [(byte)'P', (byte)'K', 3, 4];
        byte[] needle = System.Text.Encoding.UTF8.GetBytes(name);
        for (int i = 30; i + needle.Length <= zip.Length; i++)
            if (zip.AsSpan(i, needle.Length).SequenceEqual(needle) && zip.AsSpan(i - 30, 4).SequenceEqual(header))
                return i + needle.Length;
        throw new InvalidOperationException($"no local entry {name}");
    }
}
