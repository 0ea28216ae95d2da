using Composer.Callbacks;
using Composer.Core;
using Composer.Tests.Checkpoints;

namespace Composer.Tests.Training;

/// <summary>Records the batch at each evaluation.</summary>
public sealed class EvalBatches : Callback
{
    public List<long> Batches { get; } = [];

    [OnEvent(Event.EvalStart)]
    public void Record(State state) => Batches.Add(state.Timestamp.Batch);
}

[Trainer(typeof(EvalBatches))]
public partial class EvalCountingTrainer;

/// <summary>
/// Evaluation and checkpoint intervals follow Composer's create_interval_scheduler (composer/utils/misc.py): a dur
/// interval over an epoch run is due when batch % ceil(maxEpochs · interval · batchesPerEpoch) == 0, and the end of
/// training adds nothing when the interval just ran at the same batch.
/// </summary>
public class IntervalTests : FolderTests
{
    private static List<long> EvaluatedAt(string maxDuration, string interval)
    {
        var evals = new EvalBatches();
        var result = new EvalCountingTrainer(evals, TestSetup.Options(maxDuration, interval)).Fit();
        Assert.That(result.Timestamp.Batch, Is.EqualTo(Time.Parse(maxDuration).Count * TestSetup.TrainBatches));
        return evals.Batches;
    }

    // 3 batches an epoch. Before the fix: 2ep/0.5dur evaluated after batch 4 and again after FitEnd.
    [TestCase("2ep", "0.5dur", new long[] { 3, 6 })]
    [TestCase("4ep", "0.25dur", new long[] { 3, 6, 9, 12 })]
    [TestCase("2ep", "0.4dur", new long[] { 3, 6 })]        // ceil(2 · 0.4 · 3) = 3
    [TestCase("3ep", "0.5dur", new long[] { 5, 9 })]         // ceil(4.5) = 5: batch 5, then the end (9) once
    [TestCase("2ep", "1ep", new long[] { 3, 6 })]
    [TestCase("2ep", "4ba", new long[] { 4, 6 })]            // 4, then the end of training at 6
    [TestCase("2ep", "5sp", new long[] { 3, 5, 6 })]         // batches of 2 samples: 6 crosses 5, 10 crosses 10, the end
    public void EvaluationFollowsComposersIntervalScheduler(string maxDuration, string interval, long[] expected) =>
        Assert.That(EvaluatedAt(maxDuration, interval), Is.EqualTo(expected));

    [Test]
    public void ACheckpointDurIntervalSharesTheRule()
    {
        string folder = Folder();
        // 5 batches an epoch, 2 epochs: ceil(2 · 0.5 · 5) = 5, so batches 5 and 10, and nothing more at the end.
        CheckpointSetup.Trainer(CheckpointSetup.Options(maxDuration: "2ep"), folder, saveInterval: "0.5dur").Fit();
        Assert.That(CheckpointSetup.Snapshot(folder).Keys, Is.EqualTo(new[] { "ep0-ba5.ckpt", "ep1-ba10.ckpt", "latest.ckpt" }));
    }

    [Test]
    public void IsDueOnlyAsksAndRanRecords()
    {
        var trainer = new EvalCountingTrainer(new EvalBatches(), TestSetup.Options("1ep", "0ep"));
        trainer.Fit();
        var schedule = new IntervalScheduler(Time.Parse("1ba"), Event.EpochEnd, Event.BatchEnd, Event.FitEnd);
        // The run is over (elapsed = 1) and nothing ran at batch 3 yet: due at FitEnd, however often asked.
        Assert.That(schedule.IsDue(trainer.State, Event.FitEnd), Is.True);
        Assert.That(schedule.IsDue(trainer.State, Event.FitEnd), Is.True);
        schedule.Ran(trainer.State);
        Assert.That(schedule.IsDue(trainer.State, Event.FitEnd), Is.False);
        // The last advance was to the next epoch (batch 3 -> 3): an epoch interval is crossed, a batch interval is not.
        Assert.That(schedule.IsDue(trainer.State, Event.BatchEnd), Is.False);
        Assert.That(new IntervalScheduler(Time.Parse("1ep"), Event.EpochEnd, Event.BatchEnd).IsDue(trainer.State, Event.EpochEnd), Is.True);
        Assert.That(new IntervalScheduler(Time.Parse("0ba"), Event.EpochEnd, Event.BatchEnd, Event.FitEnd).IsDue(trainer.State, Event.FitEnd),
            Is.False, "a zero interval is never due");
    }
}
