using Composer.Core;

namespace Composer.Tests.Training;

/// <summary>The generated loop against Composer's documented firing order (reference §1, trainer.py).</summary>
public class EventOrderTests
{
    private static readonly Event[] TrainBatch =
    [
        Event.BeforeDataloader, Event.AfterDataloader, Event.BatchStart, Event.BeforeTrainBatch,
        Event.BeforeForward, Event.AfterForward, Event.BeforeLoss, Event.AfterLoss,
        Event.BeforeBackward, Event.AfterBackward, Event.AfterTrainBatch, Event.BatchEnd, Event.BatchCheckpoint,
    ];

    private static readonly Event[] EvalBatch =
        [Event.EvalBatchStart, Event.EvalBeforeForward, Event.EvalAfterForward, Event.EvalBatchEnd];

    private static IEnumerable<Event> Repeat(Event[] events, int times) => Enumerable.Repeat(events, times).SelectMany(e => e);

    private static IEnumerable<Event> EvaluatorLoop() =>
        [Event.EvalStart, .. Repeat(EvalBatch, TestSetup.EvalBatches), Event.EvalEnd];

    private static IEnumerable<Event> EvaluationDuringFit() =>
        [Event.EvalBeforeAll, .. EvaluatorLoop(), Event.EvalAfterAll];

    // An epoch whose dataloader runs dry: BeforeDataloader fires once more, and finds nothing.
    private static IEnumerable<Event> FullEpoch(bool first) =>
    [
        .. first ? new[] { Event.IterationStart } : [],
        Event.EpochStart,
        .. Repeat(TrainBatch, TestSetup.TrainBatches),
        Event.BeforeDataloader,
        Event.EpochEnd,
        .. EvaluationDuringFit(),
        Event.EpochCheckpoint,
    ];

    [Test]
    public void TwoEpochsOfThreeBatchesWithEvalEachEpochFollowComposersOrder()
    {
        var recorder = new EventRecorder();
        var trainer = new RecordingTrainer(recorder, TestSetup.Options("2ep"));
        trainer.Fit();

        Event[] expected =
        [
            Event.Init, Event.BeforeLoad, Event.AfterLoad,
            Event.FitStart,
            .. FullEpoch(first: true),
            .. FullEpoch(first: false),
            Event.FitEnd,
        ];
        Assert.That(recorder.Events, Is.EqualTo(expected));
        Assert.That(trainer.State.Timestamp.Epoch, Is.EqualTo(2));
        Assert.That(trainer.State.Timestamp.Batch, Is.EqualTo(6));
    }

    [Test]
    public void StandaloneEvalWrapsEachEvaluatorInTheStandaloneEvents()
    {
        var recorder = new EventRecorder();
        var trainer = new RecordingTrainer(recorder, TestSetup.Options("1ep"));
        recorder.Events.Clear();
        trainer.Eval();

        Event[] expected = [Event.EvalStandaloneStart, .. EvaluatorLoop(), Event.EvalStandaloneEnd];
        Assert.That(recorder.Events, Is.EqualTo(expected));
    }

    [Test]
    public void BatchDurationEndingMidEpochSkipsEpochEndAndEvaluatesAfterFitEnd()
    {
        var recorder = new EventRecorder();
        var trainer = new RecordingTrainer(recorder, TestSetup.Options("4ba"));
        recorder.Events.Clear();
        trainer.Fit();

        Event[] expected =
        [
            Event.FitStart,
            .. FullEpoch(first: true),
            Event.EpochStart,
            .. TrainBatch,
            Event.FitEnd,
            .. EvaluationDuringFit(),
        ];
        Assert.That(recorder.Events, Is.EqualTo(expected));
        Assert.That(trainer.State.Timestamp.Batch, Is.EqualTo(4));
    }

    [Test]
    public void BatchDurationEndingOnTheLastBatchStillEndsTheEpoch()
    {
        var recorder = new EventRecorder();
        var trainer = new RecordingTrainer(recorder, TestSetup.Options("3ba"));
        recorder.Events.Clear();
        trainer.Fit();

        Event[] expected =
        [
            Event.FitStart, Event.IterationStart, Event.EpochStart,
            .. Repeat(TrainBatch, TestSetup.TrainBatches),
            // The break comes before the dataloader is asked again, so no BeforeDataloader here.
            Event.EpochEnd, .. EvaluationDuringFit(), Event.EpochCheckpoint,
            Event.FitEnd,
        ];
        Assert.That(recorder.Events, Is.EqualTo(expected));
    }

    [Test]
    public void BatchIntervalEvaluatesAfterBatchEndBeforeBatchCheckpoint()
    {
        var recorder = new EventRecorder();
        var trainer = new RecordingTrainer(recorder, TestSetup.Options("2ba", evalInterval: "2ba"));
        recorder.Events.Clear();
        trainer.Fit();

        int batchEnds = recorder.Events.Select((e, i) => (e, i)).Where(x => x.e == Event.BatchEnd).Select(x => x.i).Last();
        Assert.That(recorder.Events.Skip(batchEnds + 1).Take(3), Is.EqualTo(new[] { Event.EvalBeforeAll, Event.EvalStart, Event.EvalBatchStart }));
        Assert.That(recorder.Events.Count(e => e == Event.EvalStart), Is.EqualTo(1), "the run ends on the interval, so no final evaluation");
    }

    [Test]
    public void StopTrainingEndsAfterTheCurrentBatch()
    {
        var recorder = new EventRecorder();
        var stopper = new StopAtBatch { Batch = 2 };
        var trainer = new StoppableRecordingTrainer(recorder, stopper, TestSetup.Options("5ep"));
        trainer.Fit();

        Assert.That(trainer.State.Timestamp.Batch, Is.EqualTo(2));
        Assert.That(recorder.Events.Count(e => e == Event.BatchEnd), Is.EqualTo(2));
        Assert.That(recorder.Events, Does.Not.Contain(Event.EpochEnd));
        // After the stopping batch's end: its checkpoint event, FitEnd, and only the final evaluation, as Composer's
        // _train_loop leaves its loop and runs the evaluators after FIT_END; no batch or epoch event follows.
        Event[] afterStop = [.. recorder.Events.SkipWhile(e => e != Event.BatchEnd).Skip(1).SkipWhile(e => e != Event.BatchEnd).Skip(1)];
        Assert.That(afterStop.Take(2), Is.EqualTo(new[] { Event.BatchCheckpoint, Event.FitEnd }));
        Assert.That(afterStop.Skip(2).Select(e => e.ToString()), Is.Not.Empty.And.All.StartWith("Eval"));
    }

    [Test]
    public void ZeroEvalIntervalTurnsEvaluationOff()
    {
        var recorder = new EventRecorder();
        var trainer = new RecordingTrainer(recorder, TestSetup.Options("1ep", evalInterval: "0ep"));
        trainer.Fit();
        Assert.That(recorder.Events, Does.Not.Contain(Event.EvalStart));
    }
}
