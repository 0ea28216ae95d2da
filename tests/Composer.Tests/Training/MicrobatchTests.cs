using Composer.Core;
using Composer.Data;
using Composer.Datasets;
using Composer.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Training;

public class MicrobatchTests
{
    // One step on a batch of 6 from the same initial weights; returns the weights after it.
    private static Tensor[] WeightsAfterOneStep(int? microbatchSize)
    {
        torch.manual_seed(3);
        var model = new ComposerClassifier(nn.Linear(4, 3), numClasses: 3);
        var data = new SyntheticBatchPairDataset(6, [4], numClasses: 3, seed: 5);
        new RecordingTrainer(new EventRecorder(), new TrainerOptions
        {
            Model = model,
            TrainDataloader = new DataLoader(data, batchSize: 6),
            MaxDuration = Time.Parse("1ba"),
            Optimizer = optim.SGD(model.parameters(), 0.5),
            DeviceTrainMicrobatchSize = microbatchSize,
            Seed = 1,
        }).Fit();
        return model.parameters().Select(p => p.detach().clone()).ToArray();
    }

    [TestCase(2)]
    [TestCase(4)] // 4 + 2: unequal microbatches are weighted by their size.
    [TestCase(1)]
    public void MicrobatchedStepEqualsOneFullBatchStep(int microbatchSize)
    {
        Tensor[] full = WeightsAfterOneStep(null);
        Tensor[] micro = WeightsAfterOneStep(microbatchSize);
        Tensor[] untrained = InitialWeights();
        for (int i = 0; i < full.Length; i++)
        {
            Assert.That(micro[i].sub(full[i]).abs().max().item<float>(), Is.LessThan(1e-6f), $"parameter {i}");
            Assert.That(full[i].sub(untrained[i]).abs().max().item<float>(), Is.GreaterThan(1e-4f), "the step moved the weights");
        }
    }

    private static Tensor[] InitialWeights()
    {
        torch.manual_seed(3);
        return nn.Linear(4, 3).parameters().Select(p => p.detach().clone()).ToArray();
    }

    [Test]
    public void ForwardLossAndBackwardEventsFirePerMicrobatch()
    {
        var recorder = new EventRecorder();
        TrainerOptions o = TestSetup.Options("1ba", evalInterval: "0ep");
        new RecordingTrainer(recorder, new TrainerOptions
        {
            Model = o.Model, TrainDataloader = o.TrainDataloader, MaxDuration = o.MaxDuration, Optimizer = o.Optimizer,
            DeviceTrainMicrobatchSize = 1, Seed = 7,
        }).Fit();

        int start = recorder.Events.IndexOf(Event.BeforeTrainBatch);
        int end = recorder.Events.IndexOf(Event.AfterTrainBatch);
        Event[] perMicrobatch = [Event.BeforeForward, Event.AfterForward, Event.BeforeLoss, Event.AfterLoss, Event.BeforeBackward, Event.AfterBackward];
        Assert.That(recorder.Events.Skip(start + 1).Take(end - start - 1), Is.EqualTo(perMicrobatch.Concat(perMicrobatch)));
    }

    [Test]
    public void MicrobatchSizeBelowOneIsRejected()
    {
        TrainerOptions o = TestSetup.Options("1ba");
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecordingTrainer(new EventRecorder(), new TrainerOptions
        {
            Model = o.Model, TrainDataloader = o.TrainDataloader, MaxDuration = o.MaxDuration, DeviceTrainMicrobatchSize = 0,
        }));
    }
}
