using Composer.Callbacks;
using Composer.Core;
using Composer.Loggers;

namespace Composer.Tests.Training;

/// <summary>
/// Callbacks and loggers given in <see cref="TrainerOptions.Callbacks"/> and <see cref="TrainerOptions.Loggers"/>:
/// they run at the events outside the training step, after the compiled members (before them at Init).
/// </summary>
public class OptionCallbacksTests
{
    private static readonly Event[] RunTimeEvents = Enum.GetValues<Event>().Where(e => !EventOrder.IsStepEvent(e)).ToArray();

    [Test]
    public void TheStepEventsAreTheTenBetweenTheDataloaderAndTheOptimizerStep()
    {
        Assert.That(Enum.GetValues<Event>().Where(EventOrder.IsStepEvent), Is.EqualTo(new[]
        {
            Event.BeforeDataloader, Event.AfterDataloader, Event.BeforeTrainBatch, Event.BeforeForward, Event.AfterForward,
            Event.BeforeLoss, Event.AfterLoss, Event.BeforeBackward, Event.AfterBackward, Event.AfterTrainBatch,
        }));
    }

    [Test]
    public void AGivenCallbackSeesEveryEventOutsideTheStepInComposersOrder()
    {
        var compiled = new EventRecorder();
        var given = new OutsideStepRecorder();
        var trainer = new RecordingTrainer(compiled, TestSetup.Options("2ep", callbacks: [given]));
        trainer.Fit();
        trainer.Eval();
        var data = new Composer.Data.DataLoader(new Composer.Datasets.SyntheticBatchPairDataset(4, [4], numClasses: 3, seed: 3), batchSize: 2);
        foreach (var output in trainer.Predict(data)) output.Dispose();

        // The same events as the compiled recorder saw, less the step's, in the same order and number.
        Assert.That(given.Events, Is.EqualTo(compiled.Events.Where(e => !EventOrder.IsStepEvent(e))));
        Assert.That(given.Events, Does.Contain(Event.BatchEnd).And.Contain(Event.EvalBatchEnd).And.Contain(Event.PredictBatchEnd));
    }

    [Test]
    public void GivenMembersRunAfterTheCompiledOnesExceptAtInit()
    {
        var order = new List<string>();
        var trainer = new GivenOrderTrainer(new CompiledTag(order), TestSetup.Options("1ba", withEval: false, callbacks: [new GivenTag(order)], loggers: [new GivenLoggerTag(order)]));
        trainer.Fit();

        Assert.That(order.Take(3), Is.EqualTo(new[] { "Init given", "Init given logger", "Init compiled" }));
        Assert.That(order.Where(o => o.StartsWith("BatchEnd")), Is.EqualTo(new[] { "BatchEnd compiled", "BatchEnd given", "BatchEnd given logger" }));
        // The schedule a program reads says the same.
        Assert.That(trainer.Schedule.Where(c => c.Event == Event.Init).Select(c => c.Member),
            Is.EqualTo(new[] { typeof(GivenTag), typeof(GivenLoggerTag), typeof(CompiledTag) }));
        Assert.That(trainer.Schedule.Where(c => c.Event == Event.BatchEnd).Select(c => c.Member),
            Is.EqualTo(new[] { typeof(CompiledTag), typeof(GivenTag), typeof(GivenLoggerTag) }));
    }

    [Test]
    public void AGivenLoggerReceivesTheLoggedValues()
    {
        var logger = new InMemoryLogger();
        var trainer = new BareOptionsTrainer(TestSetup.Options("2ep", loggers: [logger], logInterval: 1));
        trainer.Fit();

        Assert.That(logger.Data["loss/train/total"], Has.Count.EqualTo(6));
        Assert.That(logger.Data.Keys, Does.Contain("metrics/eval/Accuracy"));
        Assert.That(logger.Hyperparameters["seed"], Is.EqualTo(7));
    }

    [Test]
    public void AGivenCallbackOnAStepEventIsRejectedWithTheFix()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new BareOptionsTrainer(TestSetup.Options("1ep", callbacks: [new AfterLossCallback()])));
        Assert.That(error!.Message, Does.Contain("AfterLossCallback.Look handles Event.AfterLoss"));
        Assert.That(error.Message, Does.Contain("[Trainer(typeof(...))]"));
    }

    [Test]
    public void ALoggerAmongTheCallbacksIsRejectedWithTheFix()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new BareOptionsTrainer(TestSetup.Options("1ep", callbacks: [new InMemoryLogger()])));
        Assert.That(error!.Message, Does.Contain("InMemoryLogger is a logger destination: give it in TrainerOptions.Loggers"));
    }

    [Test]
    public void AMemberTypeInTheAttributeAndTheOptionsIsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new StoppableRecordingTrainer(new EventRecorder(), new StopAtBatch(), TestSetup.Options("1ep", callbacks: [new StopAtBatch()])));
        Assert.That(error!.Message, Does.Contain("two members of type StopAtBatch"));
    }

    [Test]
    public void GivenMembersStateIsCheckpointedAndAutoresumeFindsAGivenSaver()
    {
        string folder = Path.Combine(Path.GetTempPath(), "composer-option-callbacks-" + Guid.NewGuid().ToString("N"));
        try
        {
            var counter = new BatchCounter();
            new BareOptionsTrainer(TestSetup.Options("2ep", withEval: false, callbacks: [counter, new CheckpointSaver(folder, saveInterval: "1ep")])).Fit();
            Assert.That(counter.Batches, Is.EqualTo(6));

            // Resumed at the end of the run from the given saver's latest checkpoint: the counter comes back too.
            var resumed = new BatchCounter();
            var trainer = new BareOptionsTrainer(TestSetup.Options("3ep", withEval: false, callbacks: [resumed, new CheckpointSaver(folder, saveInterval: "1ep")], autoresume: true));
            Assert.That(resumed.Batches, Is.EqualTo(6));
            Assert.That(trainer.State.Timestamp.Batch, Is.EqualTo(6));
            trainer.Fit();
            Assert.That(resumed.Batches, Is.EqualTo(9));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}

[Trainer]
public partial class BareOptionsTrainer;

[Trainer(typeof(CompiledTag))]
public partial class GivenOrderTrainer;

/// <summary>Records every event outside the training step, as a callback given in the options.</summary>
public sealed class OutsideStepRecorder : Callback
{
    public List<Event> Events { get; } = [];

    [OnEvent(Event.Init)] public void Init(State s) => Events.Add(Event.Init);
    [OnEvent(Event.BeforeLoad)] public void BeforeLoad(State s) => Events.Add(Event.BeforeLoad);
    [OnEvent(Event.AfterLoad)] public void AfterLoad(State s) => Events.Add(Event.AfterLoad);
    [OnEvent(Event.FitStart)] public void FitStart(State s) => Events.Add(Event.FitStart);
    [OnEvent(Event.IterationStart)] public void IterationStart(State s) => Events.Add(Event.IterationStart);
    [OnEvent(Event.EpochStart)] public void EpochStart(State s) => Events.Add(Event.EpochStart);
    [OnEvent(Event.BatchStart)] public void BatchStart(State s) => Events.Add(Event.BatchStart);
    [OnEvent(Event.BatchEnd)] public void BatchEnd(State s) => Events.Add(Event.BatchEnd);
    [OnEvent(Event.BatchCheckpoint)] public void BatchCheckpoint(State s) => Events.Add(Event.BatchCheckpoint);
    [OnEvent(Event.EpochEnd)] public void EpochEnd(State s) => Events.Add(Event.EpochEnd);
    [OnEvent(Event.EpochCheckpoint)] public void EpochCheckpoint(State s) => Events.Add(Event.EpochCheckpoint);
    [OnEvent(Event.IterationEnd)] public void IterationEnd(State s) => Events.Add(Event.IterationEnd);
    [OnEvent(Event.IterationCheckpoint)] public void IterationCheckpoint(State s) => Events.Add(Event.IterationCheckpoint);
    [OnEvent(Event.FitEnd)] public void FitEnd(State s) => Events.Add(Event.FitEnd);
    [OnEvent(Event.EvalBeforeAll)] public void EvalBeforeAll(State s) => Events.Add(Event.EvalBeforeAll);
    [OnEvent(Event.EvalStart)] public void EvalStart(State s) => Events.Add(Event.EvalStart);
    [OnEvent(Event.EvalBatchStart)] public void EvalBatchStart(State s) => Events.Add(Event.EvalBatchStart);
    [OnEvent(Event.EvalBeforeForward)] public void EvalBeforeForward(State s) => Events.Add(Event.EvalBeforeForward);
    [OnEvent(Event.EvalAfterForward)] public void EvalAfterForward(State s) => Events.Add(Event.EvalAfterForward);
    [OnEvent(Event.EvalBatchEnd)] public void EvalBatchEnd(State s) => Events.Add(Event.EvalBatchEnd);
    [OnEvent(Event.EvalEnd)] public void EvalEnd(State s) => Events.Add(Event.EvalEnd);
    [OnEvent(Event.EvalAfterAll)] public void EvalAfterAll(State s) => Events.Add(Event.EvalAfterAll);
    [OnEvent(Event.EvalStandaloneStart)] public void EvalStandaloneStart(State s) => Events.Add(Event.EvalStandaloneStart);
    [OnEvent(Event.EvalStandaloneEnd)] public void EvalStandaloneEnd(State s) => Events.Add(Event.EvalStandaloneEnd);
    [OnEvent(Event.PredictStart)] public void PredictStart(State s) => Events.Add(Event.PredictStart);
    [OnEvent(Event.PredictBatchStart)] public void PredictBatchStart(State s) => Events.Add(Event.PredictBatchStart);
    [OnEvent(Event.PredictBeforeForward)] public void PredictBeforeForward(State s) => Events.Add(Event.PredictBeforeForward);
    [OnEvent(Event.PredictAfterForward)] public void PredictAfterForward(State s) => Events.Add(Event.PredictAfterForward);
    [OnEvent(Event.PredictBatchEnd)] public void PredictBatchEnd(State s) => Events.Add(Event.PredictBatchEnd);
    [OnEvent(Event.PredictEnd)] public void PredictEnd(State s) => Events.Add(Event.PredictEnd);
}

public sealed class CompiledTag(List<string> order) : Callback
{
    [OnEvent(Event.Init)] public void Init(State s) => order.Add("Init compiled");
    [OnEvent(Event.BatchEnd)] public void BatchEnd(State s) => order.Add("BatchEnd compiled");
}

public sealed class GivenTag(List<string> order) : Callback
{
    [OnEvent(Event.Init)] public void Init(State s) => order.Add("Init given");
    [OnEvent(Event.BatchEnd)] public void BatchEnd(State s) => order.Add("BatchEnd given");
}

public sealed class GivenLoggerTag(List<string> order) : LoggerDestination
{
    [OnEvent(Event.Init)] public void Init(State s) => order.Add("Init given logger");
    [OnEvent(Event.BatchEnd)] public void BatchEnd(State s, Logger logger) => order.Add("BatchEnd given logger");
}

public sealed class AfterLossCallback : Callback
{
    [OnEvent(Event.AfterLoss)] public void Look(State s) { }
}

/// <summary>Counts the batches trained, and keeps the count in checkpoints.</summary>
public sealed class BatchCounter : Callback, IStateful
{
    public long Batches { get; private set; }

    [OnEvent(Event.BatchEnd)] public void Count(State s) => Batches++;

    public void SaveState(StateDict state) => state.Set("batches", Batches);

    public void LoadState(StateDict state) => Batches = (long)state.GetNumber("batches");
}
