using Composer.Data;
using Composer.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Algorithms;

/// <summary>The methods on gradients, weights, samples and sequences against hand-computed tensors.</summary>
public class TrainingMethodsTests
{
    private static float[] Values(Tensor t) => t.data<float>().ToArray();

    private static TorchSharp.Modules.Parameter Parameter(float[] values, float[] grad, long[] shape)
    {
        var p = new TorchSharp.Modules.Parameter(tensor(values, shape));
        p.grad = tensor(grad, shape);
        return p;
    }

    [Test]
    public void NormClippingScalesAllGradientsToTheThreshold()
    {
        var p = Parameter([0, 0], [3, 4], [2]);
        Functional.ApplyGradientClipping([p], ClippingType.Norm, 1.0);
        Assert.That(Values(p.grad!), Is.EqualTo(new[] { 0.6f, 0.8f }).Within(1e-5));
    }

    [Test]
    public void ValueClippingClampsEachElement()
    {
        var p = Parameter([0, 0], [3, -4], [2]);
        Functional.ApplyGradientClipping([p], ClippingType.Value, 3.5);
        Assert.That(Values(p.grad!), Is.EqualTo(new[] { 3f, -3.5f }));
    }

    [Test]
    public void AdaptiveClippingLimitsEachUnitByItsWeightNorm()
    {
        // Row 0: weights norm 5, limit 2.5, gradient norm 10 -> x0.25. Row 1: weights norm 1, limit 0.5, gradient norm 1 -> x0.5.
        var p = Parameter([3, 4, 0, 1], [6, 8, 0, 1], [2, 2]);
        Functional.ApplyGradientClipping([p], ClippingType.Adaptive, 0.5);
        Assert.That(Values(p.grad!), Is.EqualTo(new[] { 1.5f, 2f, 0f, 0.5f }).Within(1e-5));

        var small = Parameter([3, 4], [0.1f, 0.1f], [1, 2]);
        Functional.ApplyGradientClipping([small], ClippingType.Adaptive, 0.5);
        Assert.That(Values(small.grad!), Is.EqualTo(new[] { 0.1f, 0.1f }), "a gradient under the limit is left alone");
    }

    [Test]
    public void SamAscendsAlongTheNormalisedGradientAndRestoresExactly()
    {
        var p = Parameter([1, 2], [3, 4], [2]);
        var moves = Functional.SamAscend([p], rho: 0.5);
        // e = 0.5 * [3, 4] / 5
        Assert.That(Values(p), Is.EqualTo(new[] { 1.3f, 2.4f }).Within(1e-6));
        Functional.SamRestore(moves);
        Assert.That(Values(p), Is.EqualTo(new[] { 1f, 2f }).Within(1e-6));
    }

    [Test]
    public void SwaKeepsAnEqualWeightRunningAverage()
    {
        var model = nn.Linear(2, 1, hasBias: false);
        using (no_grad()) model.weight!.copy_(tensor(new float[] { 3, 5 }, [1, 2]));
        var average = new Dictionary<string, Tensor> { ["weight"] = ones(1, 2) };
        long count = Functional.UpdateSwaAverage(model, average, count: 1);
        // (1 + 3) / 2 and (1 + 5) / 2
        Assert.That(count, Is.EqualTo(2));
        Assert.That(Values(average["weight"]), Is.EqualTo(new[] { 2f, 3f }));
    }

    [TestCase(5, true, 0.55)]
    [TestCase(2, true, 0.9140576)]   // blend (1 - cos(0.2π)) / 2 = 0.0954915
    [TestCase(2, false, 0.82)]
    [TestCase(20, true, 0.1)]
    public void SwaLearningRateAnnealsLikeSwalr(long step, bool cosine, double expected) =>
        Assert.That(Functional.SwaLearningRate(1.0, 0.1, step, annealSteps: 10, cosine), Is.EqualTo(expected).Within(1e-6));

    [Test]
    public void LayerFreezingFreezesTheFirstLayersAndTheOptimizerLeavesThem()
    {
        manual_seed(1);
        var model = nn.Sequential(("a", nn.Linear(2, 2)), ("relu", nn.ReLU()), ("b", nn.Linear(2, 2)));
        var optimizer = optim.SGD(model.parameters(), 0.1, momentum: 0.9);
        using var x = ones(4, 2);
        void Step()
        {
            optimizer.zero_grad();
            model.call(x).sum().backward();
            optimizer.step();
        }
        Step(); // momentum now holds a velocity for every parameter

        // Two layers (a and b; relu has no parameters), the last never frozen: at the end the share is 1, int(1 * 1) = 1.
        Assert.That(Functional.FreezeLayers(model, optimizer, elapsed: 0.75), Is.EqualTo((0, 0.5)), "int(0.5 * 1) = 0");
        var (frozen, share) = Functional.FreezeLayers(model, optimizer, elapsed: 1.0);
        Assert.That((frozen, share), Is.EqualTo((1, 1.0)));
        Assert.That(optimizer.ParamGroups.OfType<TorchSharp.Modules.ParamGroup>().Sum(g => g.Parameters.Count()), Is.EqualTo(2),
            "a's weight and bias left the optimizer; b's stay");
        float[] first = Values(model.named_parameters().First(p => p.name == "a.weight").parameter.clone());
        float[] last = Values(model.named_parameters().First(p => p.name == "b.weight").parameter.clone());
        Step();
        Assert.That(Values(model.named_parameters().First(p => p.name == "a.weight").parameter), Is.EqualTo(first), "momentum does not move a frozen layer");
        Assert.That(Values(model.named_parameters().First(p => p.name == "b.weight").parameter), Is.Not.EqualTo(last));
    }

    [Test]
    public void SelectionProbabilitiesGrowWithTheLossRank()
    {
        // keep 0.5: percentiles (i + 0.5) / 4 to the power 1, normalised by their sum 2.
        using Tensor p = Functional.SelectionProbabilities(4, keep: 0.5);
        Assert.That(p.data<double>().ToArray(), Is.EqualTo(new[] { 0.0625, 0.1875, 0.3125, 0.4375 }).Within(1e-12));
        // keep 0.25: the power is 3.
        using Tensor q = Functional.SelectionProbabilities(2, keep: 0.25);
        Assert.That(q.data<double>().ToArray(), Is.EqualTo(new[] { 1.0 / 28, 27.0 / 28 }).Within(1e-12));
    }

    [TestCase(0.4, 0, false)]
    [TestCase(0.5, 0, true)]
    [TestCase(0.5, 1, false)]   // every second batch is trained whole
    [TestCase(0.89, 2, true)]
    [TestCase(0.9, 2, false)]
    public void SelectiveBackpropRunsBetweenStartAndEndWithInterruptions(double elapsed, long batch, bool expected) =>
        Assert.That(Functional.ShouldSelectiveBackprop(elapsed, batch), Is.EqualTo(expected));

    [Test]
    public void SelectUsingLossKeepsPairsAndPrefersHighLosses()
    {
        // The model returns its inputs as logits; sample i's logits (i, 0) with target 1 give a loss growing with i.
        var model = new ComposerClassifier(nn.Identity(), numClasses: 2);
        using var inputs = stack(Enumerable.Range(0, 4).Select(i => tensor(new float[] { i, 0 })).ToArray());
        using var targets = tensor(new long[] { 1, 1, 1, 1 });
        var counts = new int[4];
        manual_seed(2);
        for (int trial = 0; trial < 200; trial++)
        {
            Batch kept = Functional.SelectUsingLoss(new Batch(inputs, targets), model, Functional.CrossEntropyPerSample, keep: 0.5);
            Assert.That(kept.Size, Is.EqualTo(2));
            foreach (float first in Values(kept.Inputs[.., 0])) counts[(int)first]++;
        }
        Assert.That(counts[3], Is.GreaterThan(counts[0] * 3), $"highest loss chosen far more often than the lowest: {string.Join(", ", counts)}");
    }

    [Test]
    public void SequenceLengthGrowsInStepsOverTheWarmupAsComposerCountsThem()
    {
        // 1000 batches, warmup 300: (1024 - 8) / 8 = 127 steps, one every 300 / 127 = 2 batches.
        Assert.That(Functional.WarmupSequenceLength(0, 1000, 0.3, 8, 1024, 8), Is.EqualTo(8));
        Assert.That(Functional.WarmupSequenceLength(1, 1000, 0.3, 8, 1024, 8), Is.EqualTo(8));
        Assert.That(Functional.WarmupSequenceLength(150, 1000, 0.3, 8, 1024, 8), Is.EqualTo(8 * 75 + 8));
        Assert.That(Functional.WarmupSequenceLength(254, 1000, 0.3, 8, 1024, 8), Is.EqualTo(1024), "127 steps reach the maximum by batch 254");
        Assert.That(Functional.WarmupSequenceLength(999, 1000, 0.3, 8, 1024, 8), Is.EqualTo(1024));
        Assert.That(Functional.WarmupSequenceLength(3, 10, 0.3, 8, 1024, 8), Is.EqualTo(32), "fewer warmup batches than steps: a step every batch");
    }

    [Test]
    public void SetBatchSequenceLengthTruncatesOrReChunksTheWholeBatch()
    {
        using var inputs = arange(12, int64).view(2, 6);
        using var labels = tensor(new long[] { 7, 9 });

        Batch truncated = Functional.SetBatchSequenceLength(new Batch(inputs, labels), 4);
        Assert.That(truncated.Inputs.data<long>().ToArray(), Is.EqualTo(new long[] { 0, 1, 2, 3, 6, 7, 8, 9 }));
        Assert.That(truncated.Targets.data<long>().ToArray(), Is.EqualTo(new long[] { 7, 9 }), "a label per sample is kept when truncating");

        using var ids = arange(20, int64).view(2, 10);
        Batch pieces = Functional.SetBatchSequenceLength(new Batch(ids, ids + 100), 4, truncate: false);
        Assert.That(pieces.Inputs.shape, Is.EqualTo(new long[] { 5, 4 }), "[2, 10] at 4 is [5, 4]: flattened, re-chunked");
        Assert.That(pieces.Inputs.data<long>().ToArray(), Is.EqualTo(Enumerable.Range(0, 20).Select(i => (long)i)));
        Assert.That(pieces.Targets.data<long>().ToArray(), Is.EqualTo(Enumerable.Range(100, 20).Select(i => (long)i)));
        var error = Assert.Throws<ArgumentException>(() => Functional.SetBatchSequenceLength(new Batch(inputs, labels), 3, truncate: false));
        Assert.That(error!.Message, Does.Contain("truncate: true"));

        Batch lm = Functional.SetBatchSequenceLength(new Batch(inputs, inputs + 1), 2);
        Assert.That(lm.Targets.data<long>().ToArray(), Is.EqualTo(new long[] { 1, 2, 7, 8 }), "sequence targets are cut like the inputs");
    }

    [Test]
    public void PreservingTheEndOfSequenceWritesEachLastRealTokenAtTheNewEnd()
    {
        // Composer's docstring example: [10 .. 15] at 3 is [10, 11, 15]; a sequence of 2 real tokens keeps its own end.
        var batch = new Batch([
            new(Batch.InputIds, tensor(new long[,] { { 10, 11, 12, 13, 14, 15 }, { 20, 21, 0, 0, 0, 0 } })),
            new(Batch.AttentionMask, tensor(new long[,] { { 1, 1, 1, 1, 1, 1 }, { 1, 1, 0, 0, 0, 0 } })),
            new(Batch.Labels, tensor(new long[] { 1, 0 }))]);
        Batch cut = Functional.SetBatchSequenceLength(batch, 3, preserveEndOfSequence: true);
        Assert.That(cut.Inputs.data<long>().ToArray(), Is.EqualTo(new long[] { 10, 11, 15, 20, 21, 0 }));
        Assert.That(cut[Batch.AttentionMask].data<long>().ToArray(), Is.EqualTo(new long[] { 1, 1, 1, 1, 1, 0 }));
        Assert.Throws<ArgumentException>(() => Functional.SetBatchSequenceLength(new Batch(arange(12, int64).view(2, 6), tensor(new long[] { 1, 0 })), 3, preserveEndOfSequence: true));
    }
}
