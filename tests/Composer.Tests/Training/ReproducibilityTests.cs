using Composer.Algorithms;
using Composer.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Training;

// The recorder subscribes to all 40 events, the two iteration ones included, to check which are raised: CMP0015 is expected.
#pragma warning disable CMP0015
[Trainer(typeof(MixUp), typeof(EventRecorder))]
public partial class MixUpRecordingTrainer;
#pragma warning restore CMP0015

public class ReproducibilityTests
{
    // Weights after two epochs of shuffled data with MixUp (which draws from torch's random state).
    private static Tensor[] Train(int seed)
    {
        TrainerOptions o = TestSetup.Options("2ep", seed: seed);
        var trainer = new MixUpRecordingTrainer(new MixUp(alpha: 1.0), new EventRecorder(), o);
        trainer.Fit();
        return trainer.State.Model.parameters().Select(p => p.detach().clone()).ToArray();
    }

    [Test]
    public void TheSameSeedGivesBitwiseEqualWeights()
    {
        Tensor[] first = Train(seed: 11);
        Tensor[] second = Train(seed: 11);
        for (int i = 0; i < first.Length; i++)
            Assert.That(Bits(first[i]), Is.EqualTo(Bits(second[i])), $"parameter {i}");
    }

    [Test]
    public void TheTrainersSeedAlsoFixesTheDataOrder()
    {
        TrainerOptions a = TestSetup.Options("1ep", seed: 11);
        TrainerOptions b = TestSetup.Options("1ep", seed: 12);
        _ = new MixUpRecordingTrainer(new MixUp(), new EventRecorder(), a);
        _ = new MixUpRecordingTrainer(new MixUp(), new EventRecorder(), b);
        Assert.That(a.TrainDataloader.Seed, Is.EqualTo(11));
        Assert.That(b.TrainDataloader.Seed, Is.EqualTo(12));
    }

    [Test]
    public void DifferentSeedsGiveDifferentWeights()
    {
        Tensor[] first = Train(seed: 11);
        Tensor[] second = Train(seed: 12);
        Assert.That(Bits(first[0]), Is.Not.EqualTo(Bits(second[0])));
    }

    internal static int[] Bits(Tensor t) => t.data<float>().ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
}
