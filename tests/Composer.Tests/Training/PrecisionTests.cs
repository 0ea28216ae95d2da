using Composer.Algorithms;
using Composer.Callbacks;
using Composer.Checkpoints;
using Composer.Core;
using Composer.Optim;
using Composer.Tests.Checkpoints;
using TorchSharp;
using static Composer.Tests.Training.ReproducibilityTests;
using static TorchSharp.torch;

namespace Composer.Tests.Training;

/// <summary>Records the dtypes the loop produces, and can make one batch's gradient infinite.</summary>
public sealed class DtypeProbe : Algorithm
{
    public List<ScalarType> Outputs { get; } = [];
    public List<ScalarType> Losses { get; } = [];
    public List<ScalarType> EvalOutputs { get; } = [];
    public List<ScalarType> Gradients { get; } = [];
    public long? InfiniteGradientInBatch { get; set; }

    [OnEvent(Event.AfterForward)] public void Forward(State s) => Outputs.Add(s.Outputs.dtype);
    [OnEvent(Event.AfterLoss)] public void Loss(State s) => Losses.Add(s.Loss.dtype);
    [OnEvent(Event.EvalAfterForward)] public void Eval(State s) => EvalOutputs.Add(s.Outputs.dtype);

    [OnEvent(Event.AfterBackward)]
    public void Backward(State s)
    {
        Gradients.AddRange(s.Model.parameters().Select(p => p.grad!.dtype));
        if (s.Timestamp.Batch + 1 == InfiniteGradientInBatch)
            using (no_grad()) s.Model.parameters().First().grad![0, 0] = float.PositiveInfinity;
    }
}

[Trainer(typeof(DtypeProbe), typeof(Ema))]
public partial class PrecisionTrainer
{
    public GradScaler LossScaler => Scaler;
}

[NonParallelizable]
public class PrecisionTests : FolderTests
{
    private static (PrecisionTrainer Trainer, DtypeProbe Probe, Ema Ema) Train(Precision precision, string duration = "2ep", long? infiniteIn = null)
    {
        TrainerOptions o = TestSetup.Options(duration);
        var probe = new DtypeProbe { InfiniteGradientInBatch = infiniteIn };
        var ema = new Ema("2ba");
        var trainer = new PrecisionTrainer(probe, ema, new TrainerOptions
        {
            Model = o.Model, TrainDataloader = o.TrainDataloader, EvalDataloader = o.EvalDataloader, MaxDuration = o.MaxDuration,
            Optimizer = o.Optimizer, Seed = 7, Precision = precision,
        });
        trainer.Fit();
        return (trainer, probe, ema);
    }

    [Test]
    public void AmpBf16RunsForwardInBFloat16AndKeepsLossWeightsGradientsAndAveragesInFloat32()
    {
        var (trainer, probe, ema) = Train(Precision.AmpBf16);
        Assert.That(probe.Outputs, Is.Not.Empty.And.All.EqualTo(ScalarType.BFloat16), "the linear layer's outputs under autocast");
        Assert.That(probe.EvalOutputs, Is.Not.Empty.And.All.EqualTo(ScalarType.BFloat16), "evaluation runs under it too");
        Assert.That(probe.Losses, Has.All.EqualTo(ScalarType.Float32), "cross entropy runs in float32 under autocast");
        Assert.That(probe.Gradients, Has.All.EqualTo(ScalarType.Float32));
        Assert.That(trainer.State.Model.parameters().Select(p => p.dtype), Has.All.EqualTo(ScalarType.Float32));
        Assert.That(ema.Average.Values.Select(t => t.dtype), Has.All.EqualTo(ScalarType.Float32));
        Assert.That(Autocast.IsEnabled(DeviceType.CPU), Is.False, "no scope is left open");
        Assert.That(trainer.LossScaler.Enabled, Is.False, "bfloat16 needs no loss scaling");
    }

    [Test]
    public void Fp32IsTheDefaultAndRunsNothingUnderAutocast()
    {
        var (_, probe, _) = Train(default);
        Assert.That(probe.Outputs.Concat(probe.EvalOutputs), Has.All.EqualTo(ScalarType.Float32));
    }

    [Test]
    public void AmpFp16SkipsTheStepOfABatchWithAnInfiniteGradientAndHalvesTheScale()
    {
        // Batch 2 of 3 in the first epoch gets an infinite gradient: its step is skipped, the weights stay finite.
        var (trainer, probe, _) = Train(Precision.AmpFp16, duration: "1ep", infiniteIn: 2);
        Assert.That(probe.Outputs, Has.All.EqualTo(ScalarType.Float16), "float16 autocast on the CPU");
        Assert.That(trainer.LossScaler.Scale, Is.EqualTo(32768.0), "2^16, halved once");
        Assert.That(trainer.LossScaler.GrowthTracker, Is.EqualTo(1), "the one finite step after the skipped one");
        Assert.That(trainer.State.Model.parameters().All(p => p.isfinite().all().item<bool>()), Is.True);
    }

    [Test]
    public void UnderAmpBf16MicrobatchesTrainAsTheWholeBatchWithinRounding()
    {
        float[] WeightsAfterOneEpoch(int? microbatch)
        {
            TrainerOptions o = TestSetup.Options("1ep");
            var trainer = new PrecisionTrainer(new DtypeProbe(), new Ema("2ba"), new TrainerOptions
            {
                Model = o.Model, TrainDataloader = o.TrainDataloader, MaxDuration = o.MaxDuration, Optimizer = o.Optimizer, Seed = 7,
                Precision = Precision.AmpBf16, DeviceTrainMicrobatchSize = microbatch,
            });
            trainer.Fit();
            return [.. trainer.State.Model.parameters().SelectMany(p => p.detach().data<float>().ToArray())];
        }
        float[] whole = WeightsAfterOneEpoch(null), split = WeightsAfterOneEpoch(1);
        Assert.That(split, Is.Not.EqualTo(whole), "the microbatches' bfloat16 forward rounds differently...");
        Assert.That(split.Zip(whole, (a, b) => Math.Abs(a - b)).Max(), Is.LessThan(1e-2), "...but the loss scaling keeps the step the whole batch's");
    }

    [Test]
    public void TheScalerGrowsAfterItsIntervalBacksOffOnOverflowAndRoundTripsItsState()
    {
        var scaler = new GradScaler(initScale: 8, growthInterval: 3);
        scaler.Update(true);
        scaler.Update(true);
        Assert.That(scaler.Scale, Is.EqualTo(8));
        scaler.Update(true);
        Assert.That((scaler.Scale, scaler.GrowthTracker), Is.EqualTo((16.0, 0)), "grown by 2 after 3 finite steps");
        scaler.Update(true);
        scaler.Update(false);
        Assert.That((scaler.Scale, scaler.GrowthTracker), Is.EqualTo((8.0, 0)), "halved, the count restarted");
        var saved = new StateDict("scaler");
        scaler.SaveState(saved);
        var restored = new GradScaler();
        restored.LoadState(saved);
        Assert.That((restored.Scale, restored.GrowthTracker), Is.EqualTo((8.0, 0)));
        using var loss = tensor(0.5f);
        Assert.That(new GradScaler(enabled: false).ScaleLoss(loss).item<float>(), Is.EqualTo(0.5f), "off: the loss as it is");
        Assert.That(scaler.ScaleLoss(loss).item<float>(), Is.EqualTo(4f));
    }

    [TestCase(7)]
    public void AnAmpBf16RunStoppedAndResumedEndsBitwiseEqualToAnUninterruptedOne(int stopAfter)
    {
        var whole = new ResumableTrainer(new MixUp(alpha: 1.0), new Ema("3ba"), new CheckpointSaver(Folder()), new Interruption(),
            CheckpointSetup.Options(precision: Precision.AmpBf16));
        whole.Fit();
        int[][] expected = [.. whole.State.Model.parameters().Select(p => Bits(p.detach().clone()))];

        string folder = Folder();
        CheckpointSetup.Trainer(CheckpointSetup.Options(precision: Precision.AmpBf16), folder, new Interruption(stopAfterBatch: stopAfter)).Fit();
        var resumed = new ResumableTrainer(new MixUp(alpha: 1.0), new Ema("3ba"), new CheckpointSaver(folder), new Interruption(),
            CheckpointSetup.Options(seed: 99, autoresume: true, precision: Precision.AmpBf16));
        resumed.Fit();
        Assert.That(resumed.State.Model.parameters().Select(p => Bits(p.detach().clone())), Is.EqualTo(expected));
        Assert.That(Checkpoint.Read(Path.Combine(folder, "latest.ckpt")).Timestamp!.Value.Batch, Is.EqualTo(15));
    }

    [Test]
    public void AnAmpFp16CheckpointHoldsTheScalersState()
    {
        string folder = Folder();
        var trainer = new ResumableTrainer(new MixUp(alpha: 1.0), new Ema("3ba"), new CheckpointSaver(folder), new Interruption(),
            CheckpointSetup.Options(maxDuration: "1ep", precision: Precision.AmpFp16));
        trainer.Fit();
        StateDict? saved = Checkpoint.Read(Path.Combine(folder, "latest.ckpt")).MemberState(typeof(GradScaler).FullName!);
        Assert.That(saved, Is.Not.Null, "the scaler is saved with the members");
        Assert.That(saved!.GetNumber("scale"), Is.EqualTo(65536.0));
        Assert.That(saved.GetNumber("growthTracker"), Is.EqualTo(5), "five finite steps");
    }
}
