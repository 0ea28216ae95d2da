using Composer.Core;

namespace Composer.Tests.Training;

public class TrainerOptionsTests
{
    [Test]
    public void MaxDurationInDurOrSecondsIsRejectedWithTheAcceptedUnits()
    {
        var error = Assert.Throws<ArgumentException>(() => _ = new RecordingTrainer(new EventRecorder(), TestSetup.Options("0.5dur")))!;
        Assert.That(error.Message, Does.Contain("ep, ba, sp or tok"));
    }

    [Test]
    public void EvalWithoutEvaluationDataSaysWhatToSet()
    {
        var trainer = new RecordingTrainer(new EventRecorder(), TestSetup.Options("1ep", withEval: false));
        var error = Assert.Throws<InvalidOperationException>(trainer.Eval)!;
        Assert.That(error.Message, Does.Contain("EvalDataloader"));
    }

    [Test]
    public void NullMemberIsRejectedByName()
    {
        var error = Assert.Throws<ArgumentNullException>(() => _ = new RecordingTrainer(null!, TestSetup.Options("1ep")))!;
        Assert.That(error.ParamName, Is.EqualTo("eventRecorder"));
    }

    [Test]
    public void TrainingReducesTheLossOfALearnableProblem()
    {
        // The synthetic labels are random, so fit them: 3 batches repeated for 30 epochs must lower the loss.
        var recorder = new EventRecorder();
        var trainer = new RecordingTrainer(recorder, TestSetup.Options("30ep", evalInterval: "0ep"));
        double Loss()
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            var data = trainer.State.TrainDataloader.Dataset;
            var batch = new Composer.Data.Batch(data.Inputs, data.Targets);
            return trainer.State.Model.Loss(trainer.State.Model.Forward(batch), batch).item<float>();
        }
        double before = Loss();
        trainer.Fit();
        Assert.That(Loss(), Is.LessThan(before * 0.9));
    }
}
