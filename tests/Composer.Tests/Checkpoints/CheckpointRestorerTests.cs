using Composer.Checkpoints;

namespace Composer.Tests.Checkpoints;

public class CheckpointRestorerTests : FolderTests
{
    [Test]
    public void RestoreAppliesAFullCheckpointAndHandsBackItsRandomState()
    {
        string folder = Folder();
        var saved = CheckpointSetup.Trainer(CheckpointSetup.Options(maxDuration: "7ba"), folder);
        saved.Fit();
        var fresh = CheckpointSetup.Trainer(CheckpointSetup.Options(seed: 99), Folder());
        var schedule = new Composer.Optim.LearningRateSchedule(fresh.State.Optimizer, [], []);

        using var rng = CheckpointRestorer.Restore(fresh.State, Path.Combine(folder, "latest.ckpt"), schedule);

        Assert.That(rng, Is.Not.Null, "the caller restores it when training resumes");
        Assert.That(fresh.State.Timestamp.Batch, Is.EqualTo(7));
        Assert.That(fresh.State.PreviousTimestamp, Is.Null, "no time passed in this process yet");
        Assert.That(fresh.State.Seed, Is.EqualTo(5));
        Assert.That(fresh.State.Model.parameters().Select(p => ReproducibilityTestsBits(p)),
            Is.EqualTo(saved.State.Model.parameters().Select(p => ReproducibilityTestsBits(p))));
    }

    [Test]
    public void RestoringWeightsOnlyLeavesTimeAndSeedAlone()
    {
        string folder = Folder();
        CheckpointSetup.Trainer(CheckpointSetup.Options(maxDuration: "7ba"), folder).Fit();
        var fresh = CheckpointSetup.Trainer(CheckpointSetup.Options(seed: 99), Folder());
        var schedule = new Composer.Optim.LearningRateSchedule(fresh.State.Optimizer, [], []);

        var rng = CheckpointRestorer.Restore(fresh.State, Path.Combine(folder, "latest.ckpt"), schedule, weightsOnly: true);

        Assert.That(rng, Is.Null);
        Assert.That((fresh.State.Timestamp.Batch, fresh.State.Seed), Is.EqualTo((0L, 99)));
    }

    private static int[] ReproducibilityTestsBits(TorchSharp.torch.Tensor p) => Training.ReproducibilityTests.Bits(p.detach().clone());
}
