using Composer.Algorithms;
using Composer.Core;
using Composer.Tests.Checkpoints;
using TorchSharp;
using static Composer.Tests.Training.ReproducibilityTests;

namespace Composer.Tests.Training;

/// <summary>Throws inside an evaluation batch, after remembering the training weights the model had when it began.</summary>
public sealed class FailingEvaluation : Callback
{
    public int[][]? TrainingWeights { get; private set; }

    [OnEvent(Event.EvalBeforeAll)]
    public void Remember(State state) =>
        TrainingWeights = state.Model.parameters().Select(p => Bits(p.detach().clone())).ToArray();

    [OnEvent(Event.EvalBatchEnd)]
    public void Fail(State state) => throw new InvalidOperationException("evaluation failed (simulated)");
}

[Trainer(typeof(Ema), typeof(FailingEvaluation))]
public partial class FailingEvalTrainer;

/// <summary>Draws from torch's random state at FitStart, as a member that initialises something randomly would.</summary>
public sealed class FitStartDraw : Callback
{
    [OnEvent(Event.FitStart)]
    public void Draw(State state)
    {
        using var noise = torch.rand(16);
    }
}

[Trainer(typeof(MixUp), typeof(Ema), typeof(Composer.Callbacks.CheckpointSaver), typeof(Interruption), typeof(FitStartDraw))]
public partial class FitStartDrawingTrainer;

public class LoopScopeTests : FolderTests
{
    [Test]
    public void AnExceptionDuringEvaluationLeavesTheModelTrainingWithItsOwnWeights()
    {
        var failing = new FailingEvaluation();
        var ema = new Ema("1ba");
        var trainer = new FailingEvalTrainer(ema, failing, TestSetup.Options("1ep", "1ba"));

        var error = Assert.Throws<InvalidOperationException>(() => trainer.Fit());

        Assert.That(error!.Message, Does.Contain("simulated"));
        Assert.That(trainer.State.Model.training, Is.True, "back in train mode");
        Assert.That(trainer.State.Evaluation, Is.Null);
        Assert.That(trainer.State.DataloaderLabel, Is.EqualTo("train"));
        int[][] now = trainer.State.Model.parameters().Select(p => Bits(p.detach().clone())).ToArray();
        Assert.That(now, Is.EqualTo(failing.TrainingWeights), "EMA's average swapped back out");
        int[][] average = ema.Average.Values.Select(t => Bits(t.clone())).ToArray();
        Assert.That(average, Is.Not.EqualTo(now), "the average differs, so a missed swap would show");
    }

    [TestCase(2)]
    [TestCase(7)]
    public void AResumedRunRestoresItsRandomStateAfterFitStart(int stopAfter)
    {
        string uninterrupted = Folder(), folder = Folder();
        FitStartDrawingTrainer Trainer(TrainerOptions options, string at, Interruption interruption) =>
            new(new MixUp(alpha: 1.0), new Ema("3ba"), new Composer.Callbacks.CheckpointSaver(at), interruption, new FitStartDraw(), options);

        var whole = Trainer(CheckpointSetup.Options(), uninterrupted, new Interruption());
        whole.Fit();
        Trainer(CheckpointSetup.Options(), folder, new Interruption(stopAfterBatch: stopAfter)).Fit();
        var resumed = Trainer(CheckpointSetup.Options(seed: 99, autoresume: true), folder, new Interruption());
        resumed.Fit();

        // Restored before FitStart, the draw there would shift every later dropout mask and MixUp permutation.
        Assert.That(resumed.State.Model.parameters().Select(p => Bits(p.detach().clone())),
            Is.EqualTo(whole.State.Model.parameters().Select(p => Bits(p.detach().clone()))));
    }

    [Test]
    public void FitReturnsTheLastLossAndTheLastEvaluationsMetrics()
    {
        var evals = new EvalBatches();
        var trainer = new EvalCountingTrainer(evals, TestSetup.Options("2ep"));
        FitResult result = trainer.Fit();

        Assert.That(result.Timestamp.Batch, Is.EqualTo(6));
        Assert.That(result.TrainLoss, Is.Not.Null.And.GreaterThan(0));
        double accuracy = trainer.State.EvalMetrics["eval"]["Accuracy"].Compute();
        Assert.That(result.Metric("eval", "Accuracy"), Is.EqualTo(accuracy));
        Assert.That(result.Metrics.Keys, Is.EqualTo(new[] { "metrics/eval/Accuracy" }));
        var error = Assert.Throws<KeyNotFoundException>(() => result.Metric("eval", "F1"));
        Assert.That(error!.Message, Does.Contain("metrics/eval/Accuracy"));
    }

    [Test]
    public void FitResultsLossIsTheLoggedLossOfTheLastBatch()
    {
        var logger = new Composer.Loggers.InMemoryLogger();
        var trainer = new LoggedTrainer(logger, TestSetup.Options("1ep", withEval: false));
        FitResult result = trainer.Fit();
        Assert.That(result.TrainLoss, Is.EqualTo(logger.MostRecentValues["loss/train/total"]));
    }
}

[Trainer(typeof(Composer.Loggers.InMemoryLogger))]
public partial class LoggedTrainer;
