using Composer.Algorithms;
using Composer.Tests.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Algorithms;

[Trainer(typeof(MixUp), typeof(TargetProbe))]
public partial class MixUpTrainer;

public class MixUpTests
{
    [Test]
    public void MixUpBatchMixesEachSampleWithItsPermutedPartner()
    {
        using var input = tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [3, 2]);
        using var target = tensor(new long[] { 0, 1, 2 });
        using var indices = tensor(new long[] { 2, 0, 1 });
        var (mixed, permuted, mixing) = Functional.MixUpBatch(input, target, mixing: 0.25, indices: indices);

        // 0.75 * x + 0.25 * x[[2, 0, 1]]
        float[] expected = [0.75f * 1 + 0.25f * 5, 0.75f * 2 + 0.25f * 6, 0.75f * 3 + 0.25f * 1, 0.75f * 4 + 0.25f * 2, 0.75f * 5 + 0.25f * 3, 0.75f * 6 + 0.25f * 4];
        Assert.That(mixed.data<float>().ToArray(), Is.EqualTo(expected).Within(1e-6));
        Assert.That(permuted.data<long>().ToArray(), Is.EqualTo(new long[] { 2, 0, 1 }));
        Assert.That(mixing, Is.EqualTo(0.25));
    }

    [Test]
    public void CoefficientIsZeroWithoutAlphaAndAtMostOneHalfOtherwise()
    {
        torch.manual_seed(3);
        Assert.That(Functional.MixUpCoefficient(0), Is.EqualTo(0));
        double[] draws = Enumerable.Range(0, 200).Select(_ => Functional.MixUpCoefficient(1.0)).ToArray();
        Assert.That(draws, Is.All.InRange(0.0, 0.5));
        // Beta(1, 1) is uniform, so min(z, 1 - z) is uniform on [0, 0.5] with mean 0.25.
        Assert.That(draws.Average(), Is.EqualTo(0.25).Within(0.04));
    }

    [Test]
    public void MixesTargetsWithTheSameWeightAsTheInputs()
    {
        var mixUp = new MixUp(alpha: 1.0);
        var probe = new TargetProbe();
        var trainer = new MixUpTrainer(mixUp, probe, TestSetup.Options("1ba"));
        trainer.Fit();

        float[] targets = probe.BeforeLoss[0];
        long[] labels = probe.Labels[0];
        for (int row = 0; row < labels.Length; row++)
        {
            float[] probabilities = targets.Skip(row * 3).Take(3).ToArray();
            Assert.That(probabilities.Sum(), Is.EqualTo(1f).Within(1e-5));
            // Each row is (1 - m) * own label + m * partner's label, so its own class has at least 1 - m.
            Assert.That(probabilities[labels[row]], Is.GreaterThanOrEqualTo(1 - mixUp.Mixing - 1e-6));
        }
    }
}
