using Composer.Core;

namespace Composer.Tests.Training;

/// <summary>Records every event it sees, by subscribing to all 40.</summary>
public sealed class EventRecorder : Algorithm
{
    public List<Event> Events { get; } = [];

    [OnEvent(Event.Init)] public void Init(State s) => Events.Add(Event.Init);
    [OnEvent(Event.BeforeLoad)] public void BeforeLoad(State s) => Events.Add(Event.BeforeLoad);
    [OnEvent(Event.AfterLoad)] public void AfterLoad(State s) => Events.Add(Event.AfterLoad);
    [OnEvent(Event.FitStart)] public void FitStart(State s) => Events.Add(Event.FitStart);
    [OnEvent(Event.IterationStart)] public void IterationStart(State s) => Events.Add(Event.IterationStart);
    [OnEvent(Event.EpochStart)] public void EpochStart(State s) => Events.Add(Event.EpochStart);
    [OnEvent(Event.BeforeDataloader)] public void BeforeDataloader(State s) => Events.Add(Event.BeforeDataloader);
    [OnEvent(Event.AfterDataloader)] public void AfterDataloader(State s) => Events.Add(Event.AfterDataloader);
    [OnEvent(Event.BatchStart)] public void BatchStart(State s) => Events.Add(Event.BatchStart);
    [OnEvent(Event.BeforeTrainBatch)] public void BeforeTrainBatch(State s) => Events.Add(Event.BeforeTrainBatch);
    [OnEvent(Event.BeforeForward)] public void BeforeForward(State s) => Events.Add(Event.BeforeForward);
    [OnEvent(Event.AfterForward)] public void AfterForward(State s) => Events.Add(Event.AfterForward);
    [OnEvent(Event.BeforeLoss)] public void BeforeLoss(State s) => Events.Add(Event.BeforeLoss);
    [OnEvent(Event.AfterLoss)] public void AfterLoss(State s) => Events.Add(Event.AfterLoss);
    [OnEvent(Event.BeforeBackward)] public void BeforeBackward(State s) => Events.Add(Event.BeforeBackward);
    [OnEvent(Event.AfterBackward)] public void AfterBackward(State s) => Events.Add(Event.AfterBackward);
    [OnEvent(Event.AfterTrainBatch)] public void AfterTrainBatch(State s) => Events.Add(Event.AfterTrainBatch);
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

/// <summary>Stops training at a chosen batch, from BatchEnd.</summary>
public sealed class StopAtBatch : Callback
{
    public long Batch { get; set; } = long.MaxValue;

    [OnEvent(Event.BatchEnd)]
    public void Check(State state)
    {
        if (state.Timestamp.Batch == Batch) state.StopTraining();
    }
}

// The recorder subscribes to all 40 events, the two iteration ones included, to check which are raised: CMP0015 is expected.
#pragma warning disable CMP0015
[Trainer(typeof(EventRecorder))]
public partial class RecordingTrainer;

[Trainer(typeof(EventRecorder), typeof(StopAtBatch))]
public partial class StoppableRecordingTrainer;
#pragma warning restore CMP0015
