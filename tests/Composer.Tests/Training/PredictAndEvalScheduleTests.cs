using Composer.Core;
using Composer.Data;
using Composer.Datasets;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Training;

public class PredictAndEvalScheduleTests
{
    [Test]
    public void PredictReturnsEachBatchsOutputsAndRaisesThePredictEvents()
    {
        var recorder = new EventRecorder();
        TrainerOptions options = TestSetup.Options("1ep");
        var trainer = new RecordingTrainer(recorder, options);
        using var data = new SyntheticBatchPairDataset(5, [4], numClasses: 3, seed: 9);
        recorder.Events.Clear();

        List<Tensor> outputs = trainer.Predict(new DataLoader(data, batchSize: 2));

        Assert.That(outputs.Select(o => o.shape[0]), Is.EqualTo(new long[] { 2, 2, 1 }));
        using (no_grad())
        {
            trainer.State.Model.eval();
            Tensor expected = trainer.State.Model.Forward(new Batch(data.Inputs, data.Targets));
            Assert.That(torch.cat(outputs, 0).allclose(expected), Is.True);
        }
        Event[] batch = [Event.PredictBatchStart, Event.PredictBeforeForward, Event.PredictAfterForward, Event.PredictBatchEnd];
        Assert.That(recorder.Events, Is.EqualTo(new[] { Event.PredictStart }.Concat(batch).Concat(batch).Concat(batch).Append(Event.PredictEnd)));
        Assert.That(outputs.All(o => o.requires_grad == false), Is.True);
    }

    [Test]
    public void PredictRestoresTheModelsMode()
    {
        var trainer = new RecordingTrainer(new EventRecorder(), TestSetup.Options("1ep"));
        using var data = new SyntheticBatchPairDataset(2, [4], numClasses: 3, seed: 9);
        trainer.State.Model.train();
        trainer.Predict(new DataLoader(data, batchSize: 2), returnOutputs: false);
        Assert.That(trainer.State.Model.training, Is.True);
    }

    [Test]
    public void AnEvalPredicateDecidesWhenToEvaluate()
    {
        var recorder = new EventRecorder();
        TrainerOptions o = TestSetup.Options("2ep");
        var asked = new List<(long Batch, Event Trigger)>();
        new RecordingTrainer(recorder, new TrainerOptions
        {
            Model = o.Model, TrainDataloader = o.TrainDataloader, EvalDataloader = o.EvalDataloader, MaxDuration = o.MaxDuration,
            Optimizer = o.Optimizer, Seed = 7,
            EvalPredicate = (state, trigger) =>
            {
                asked.Add((state.Timestamp.Batch, trigger));
                return trigger == Event.BatchEnd && state.Timestamp.Batch == 2;
            },
        }).Fit();

        Assert.That(recorder.Events.Count(e => e == Event.EvalStart), Is.EqualTo(1));
        Assert.That(asked.Count(a => a.Trigger == Event.BatchEnd), Is.EqualTo(6));
        Assert.That(asked.Count(a => a.Trigger == Event.EpochEnd), Is.EqualTo(2));
        Assert.That(asked.Last(), Is.EqualTo((6L, Event.FitEnd)));
    }

    [Test]
    public void AWholeNumberIsEpochs()
    {
        TrainerOptions o = TestSetup.Options("1ba", withEval: false);
        var trainer = new RecordingTrainer(new EventRecorder(), new TrainerOptions
        {
            Model = o.Model, TrainDataloader = o.TrainDataloader, MaxDuration = 2, Seed = 7,
        });
        trainer.Fit();
        Assert.That(trainer.State.Timestamp.Epoch, Is.EqualTo(2));
        Assert.That(trainer.State.Timestamp.Batch, Is.EqualTo(2 * TestSetup.TrainBatches));
    }
}
