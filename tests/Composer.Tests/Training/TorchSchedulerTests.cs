using TorchSharp;
using static TorchSharp.torch.optim;

namespace Composer.Tests.Training;

public class TorchSchedulerTests
{
    private static double TrainedLearningRate(bool everyBatch)
    {
        TrainerOptions options = TestSetup.Options("2ep", evalInterval: "0ep");
        var scheduler = lr_scheduler.StepLR(options.Optimizer!, step_size: 1, gamma: 0.5);
        options = new TrainerOptions
        {
            Model = options.Model, TrainDataloader = options.TrainDataloader, MaxDuration = options.MaxDuration,
            Optimizer = options.Optimizer, TorchSchedulers = [scheduler], StepSchedulersEveryBatch = everyBatch, Seed = 7,
        };
        var trainer = new RecordingTrainer(new EventRecorder(), options);
        trainer.Fit();
        return trainer.State.Optimizer.ParamGroups.First().LearningRate;
    }

    [Test]
    public void TorchSharpSchedulersStepOncePerEpochByDefault() =>
        // Two epochs, two steps of StepLR(gamma 0.5) from 0.1.
        Assert.That(TrainedLearningRate(everyBatch: false), Is.EqualTo(0.1 * 0.25).Within(1e-12));

    [Test]
    public void SchedulersStepEveryBatchWhenAsked() =>
        // Two epochs of three batches, six steps.
        Assert.That(TrainedLearningRate(everyBatch: true), Is.EqualTo(0.1 * Math.Pow(0.5, 6)).Within(1e-12));
}
