using Composer.Algorithms;
using Composer.Core;
using static TorchSharp.torch;

namespace Composer.Tests.Algorithms;

[Trainer(typeof(CutOut), typeof(BatchProbe))] public partial class CutOutTrainer;
[Trainer(typeof(CutMix), typeof(BatchProbe))] public partial class CutMixTrainer;
[Trainer(typeof(ColOut), typeof(BatchProbe))] public partial class ColOutTrainer;
[Trainer(typeof(ProgressiveResizing), typeof(BatchProbe))] public partial class ProgressiveResizingTrainer;
[Trainer(typeof(SelectiveBackprop), typeof(SizeAtAfterDataloader), typeof(BatchProbe))] public partial class SelectiveBackpropTrainer;
[Trainer(typeof(SeqLengthWarmup), typeof(BatchProbe))] public partial class SeqLengthWarmupTrainer;
[Trainer(typeof(Swa), typeof(BatchProbe))] public partial class SwaTrainer;
[Trainer(typeof(GradientClipping), typeof(BatchProbe))] public partial class GradientClippingTrainer;
[Trainer(typeof(LayerFreezing), typeof(BatchProbe))] public partial class LayerFreezingTrainer;
[Trainer(typeof(Sam), typeof(BatchProbe))] public partial class SamTrainer;
[Trainer(typeof(AugMix), typeof(BatchProbe))] public partial class AugMixTrainer;
[Trainer(typeof(RandAugment), typeof(BatchProbe))] public partial class RandAugmentTrainer;
[Trainer(typeof(BatchProbe))] public partial class PlainProbeTrainer;

/// <summary>Each method trains inside a generated Trainer: the loss stays finite, the weights move, and the probe sees its effect.</summary>
public class MethodsInTrainerTests
{
    private static void AssertTrained(Trainer trainer, BatchProbe probe, float[][] before)
    {
        Assert.That(trainer.State.Timestamp.Batch, Is.EqualTo(2 * MethodsSetup.BatchesPerEpoch));
        Assert.That(probe.Losses, Has.Count.EqualTo(8).And.All.Matches<double>(double.IsFinite));
        Assert.That(MethodsSetup.Weights(trainer), Is.Not.EqualTo(before), "the weights moved");
    }

    private static (T Trainer, BatchProbe Probe, float[][] Before) Train<T>(Func<BatchProbe, TrainerOptions, T> create, TrainerOptions? options = null)
        where T : Trainer
    {
        var probe = new BatchProbe();
        T trainer = create(probe, options ?? MethodsSetup.Images());
        float[][] before = MethodsSetup.Weights(trainer);
        trainer.Fit();
        AssertTrained(trainer, probe, before);
        return (trainer, probe, before);
    }

    [Test]
    public void CutOutErasesPixelsOfEveryBatch()
    {
        var (_, probe, _) = Train((p, o) => new CutOutTrainer(new CutOut(length: 0.5), p, o));
        // A 6x6 box is at least a 3x3 corner of the 12x12 image; Gaussian inputs are never exactly 0 otherwise.
        Assert.That(probe.ZeroShares, Has.All.GreaterThanOrEqualTo(9.0 / 144));
    }

    [Test]
    public void CutMixMixesTheTargets()
    {
        var (_, probe, _) = Train((p, o) => new CutMixTrainer(new CutMix(alpha: 1.0), p, o));
        Assert.That(probe.FloatTargets, Has.All.True);
    }

    [Test]
    public void ColOutTrainsOnSmallerImages()
    {
        var (_, probe, _) = Train((p, o) => new ColOutTrainer(new ColOut(0.25, 0.25), p, o));
        Assert.That(probe.InputShapes, Has.All.Matches<long[]>(s => s[2] == 9 && s[3] == 9));
    }

    [Test]
    public void ProgressiveResizingGrowsTheImagesToFullSize()
    {
        var (_, probe, _) = Train((p, o) => new ProgressiveResizingTrainer(new ProgressiveResizing(), p, o));
        long[] widths = probe.InputShapes.Select(s => s[3]).ToArray();
        // Batches 0-3 (progress < 0.5) at 0.5 scale, pinned to 8 px; the last (progress 0.875 > 0.8) at 12.
        Assert.That(widths.Take(4), Has.All.EqualTo(8));
        Assert.That(widths[^1], Is.EqualTo(12));
        Assert.That(widths, Is.Ordered.Ascending);
    }

    [Test]
    public void SelectiveBackpropRunsBeforeTheOtherAlgorithmsAtAfterDataloader()
    {
        var sizes = new SizeAtAfterDataloader();
        // Listed first, so Composer's FILO reversal alone would run it last at AfterDataloader; its declaration puts it first.
        var (trainer, probe, _) = Train((p, o) => new SelectiveBackpropTrainer(new SelectiveBackprop(start: 0, end: 1, keep: 0.5, interrupt: 0), sizes, p, o));
        Assert.That(trainer.Schedule.Where(c => c.Event == Event.AfterDataloader).Select(c => c.Member),
            Is.EqualTo(new[] { typeof(SelectiveBackprop), typeof(SizeAtAfterDataloader), typeof(BatchProbe) }));
        Assert.That(sizes.Sizes, Has.All.EqualTo(2), "the other algorithm sees the selected half");
        Assert.That(probe.InputShapes, Has.All.Matches<long[]>(s => s[0] == 2));
    }

    [Test]
    public void SeqLengthWarmupLengthensTheSequences()
    {
        var (_, probe, _) = Train((p, o) => new SeqLengthWarmupTrainer(new SeqLengthWarmup(duration: 1.0, minSeqLength: 8, maxSeqLength: 32, stepSize: 8), p, o),
            MethodsSetup.Tokens());
        long[] lengths = probe.InputShapes.Select(s => s[1]).ToArray();
        // Composer's schedule: (32 - 8) / 8 = 3 steps over 8 warmup batches, one every 8 / 3 = 2 batches.
        Assert.That(lengths, Is.EqualTo(new long[] { 8, 8, 16, 16, 24, 24, 32, 32 }));
    }

    [Test]
    public void SwaAnnealsTheRateAveragesAndEndsWithTheAverage()
    {
        var swa = new Swa(swaStart: 0.5, swaEnd: 0.97, updateInterval: "1ba", swaLr: 0.01, annealBatches: 2);
        var (trainer, probe, _) = Train((p, o) => new SwaTrainer(swa, p, o));
        // The ends of batches 4 to 8 average (progress 0.5 to 1); from the fifth batch the rate anneals from 0.1 to 0.01 over 2 batches.
        Assert.That(swa.Count, Is.EqualTo(5));
        Assert.That(swa.Applied);
        Assert.That(probe.LearningRates.Take(4), Has.All.EqualTo(0.1));
        Assert.That(probe.LearningRates.Skip(4), Is.EqualTo(new[] { 0.1, 0.055, 0.01, 0.01 }).Within(1e-9));
    }

    [Test]
    public void GradientClippingBoundsTheSteppedGradient()
    {
        var (_, probe, _) = Train((p, o) => new GradientClippingTrainer(new GradientClipping(ClippingType.Norm, 0.01), p, o));
        Assert.That(probe.GradientNorms, Has.All.LessThanOrEqualTo(0.01 + 1e-6));
    }

    [Test]
    public void LayerFreezingStopsTheFirstLayersAfterTheFirstEpoch()
    {
        var freezing = new LayerFreezing(freezeStart: 0.0, freezeLevel: 1.0);
        var (trainer, probe, _) = Train((p, o) => new LayerFreezingTrainer(freezing, p, o));
        // As Composer counts them, the layers are the leaves with parameters (conv and fc, not relu, pool or flatten),
        // and the last never freezes: half-way int(0.5 * 1) = 0 layers freeze, at the end int(1.0 * 1) = 1, the conv.
        Assert.That(freezing.FrozenLayers, Is.EqualTo(1));
        Assert.That(probe.FirstParameterAtEpochEnd[1], Is.Not.EqualTo(probe.FirstParameterAtEpochEnd[0]), "conv still trains in epoch 2");
        var parameters = trainer.State.Model.parameters().ToList();
        Assert.That((parameters.First().requires_grad, parameters.Last().requires_grad), Is.EqualTo((false, true)), "conv frozen at the end, fc never");
        Assert.That(trainer.State.Optimizer.ParamGroups.OfType<TorchSharp.Modules.ParamGroup>().Sum(g => g.Parameters.Count()), Is.EqualTo(2),
            "fc's weight and bias stay in the optimizer");
    }

    [Test]
    public void SamChangesTheStepComparedWithPlainTraining()
    {
        var (sam, _, _) = Train((p, o) => new SamTrainer(new Sam(rho: 0.5), p, o));
        var (plain, _, _) = Train((p, o) => new PlainProbeTrainer(p, o));
        Assert.That(MethodsSetup.Weights(sam), Is.Not.EqualTo(MethodsSetup.Weights(plain)));
    }

    [Test]
    public void AugMixAndRandAugmentChangeThePixelsWithinRange()
    {
        foreach (bool augmix in new[] { true, false })
        {
            TrainerOptions options = MethodsSetup.Images(shuffle: false, pixels: true);
            Tensor original = options.TrainDataloader.Dataset.Inputs.narrow(0, 0, 4);
            var (_, probe, _) = augmix
                ? Train((p, o) => (Trainer)new AugMixTrainer(new AugMix(severity: 3, width: 2), p, o), options)
                : Train((p, o) => new RandAugmentTrainer(new RandAugment(severity: 9, depth: 2), p, o), options);
            Assert.That(probe.FirstInputs!.sub(original).abs().max().item<float>(), Is.GreaterThan(1e-3f), augmix ? "AugMix" : "RandAugment");
            Assert.That(probe.FirstInputs!.min().item<float>(), Is.GreaterThanOrEqualTo(0f));
            Assert.That(probe.FirstInputs!.max().item<float>(), Is.LessThanOrEqualTo(1f + 1e-6f));
        }
    }
}
