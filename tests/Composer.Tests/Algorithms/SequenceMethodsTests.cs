using Composer.Algorithms;
using Composer.Core;
using Composer.Data;
using Composer.Models.Transformer;
using Composer.Surgery;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Tests.Algorithms;

public class SequenceMethodsTests
{
    [TestCase(8, new[] { 1, 2, 3, 4, 5, 6, 7, 8 })] // 2^(-8/8 · k)
    [TestCase(4, new[] { 2, 4, 6, 8 })]
    [TestCase(6, new[] { 2, 4, 6, 8, 1, 3 })] // slopes(4), then every other slope of slopes(8)
    public void AlibiSlopesAreComposersGeometricSequence(int heads, int[] negativeLog2)
    {
        Assert.That(Functional.AlibiSlopes(heads), Is.EqualTo(negativeLog2.Select(k => Math.Pow(2, -k))).Within(1e-12));
    }

    [Test]
    public void AlibiBiasFallsLinearlyWithDistancePerHead()
    {
        Tensor bias = Functional.AlibiBias(heads: 2, maxSequenceLength: 5);
        Assert.That(bias.shape, Is.EqualTo(new long[] { 1, 2, 5, 5 }));
        double[] slopes = Functional.AlibiSlopes(2);
        for (int h = 0; h < 2; h++)
            for (int i = 0; i < 5; i++)
                for (int j = 0; j < 5; j++)
                    Assert.That(bias[0, h, i, j].item<float>(), Is.EqualTo(-slopes[h] * Math.Abs(j - i)).Within(1e-6));
    }

    [Test]
    public void SelfAttentionWithAlibiIsSoftmaxOfScaledScoresPlusBiasAndMask()
    {
        torch.manual_seed(3);
        var attention = new SelfAttention(dimension: 4, heads: 2, dropout: 0);
        attention.eval();
        attention.SetAttentionBias(Functional.AlibiBias(2, 8));
        Tensor x = randn(1, 3, 4);
        Tensor mask = tensor(new long[,] { { 1, 1, 0 } });
        Tensor actual = attention.call(x, mask);

        // By hand: per head, softmax(q·kᵀ/√d_h − slope·|i−j|, padding key excluded)·v, then the output projection.
        var p = attention.named_parameters().ToDictionary(n => n.name, n => n.parameter);
        Tensor Project(string name) => nn.functional.linear(x[0], p[$"{name}.weight"], p[$"{name}.bias"]);
        Tensor q = Project("query"), k = Project("key"), v = Project("value");
        double[] slopes = Functional.AlibiSlopes(2);
        var heads = new List<Tensor>();
        for (int h = 0; h < 2; h++)
        {
            Tensor qh = q.narrow(1, 2 * h, 2), kh = k.narrow(1, 2 * h, 2), vh = v.narrow(1, 2 * h, 2);
            Tensor scores = qh.matmul(kh.t()) / Math.Sqrt(2);
            Tensor distance = (arange(3).view(1, 3) - arange(3).view(3, 1)).abs().to_type(float32);
            scores = scores - slopes[h] * distance;
            scores[.., 2] = tensor(float.NegativeInfinity);
            heads.Add(scores.softmax(1).matmul(vh));
        }
        Tensor expected = nn.functional.linear(cat(heads, 1), p["output.weight"], p["output.bias"]);
        Assert.That(actual[0].sub(expected).abs().max().item<float>(), Is.LessThan(1e-5f));
    }

    [Test]
    public void ApplyingAlibiBiasesEveryAttentionAndFreezesZeroPositionEmbeddings()
    {
        var model = new TextClassifier(50, 2, maxSequenceLength: 8, dimension: 8, heads: 2, layers: 3);
        var optimizer = optim.AdamW(model.parameters(), 0.01);
        int changed = Functional.ApplyAlibi(model, maxSequenceLength: 32, optimizer);
        PositionEmbedding positions = model.modules().OfType<PositionEmbedding>().Single();
        Assert.Multiple(() =>
        {
            Assert.That(changed, Is.EqualTo(3));
            Assert.That(model.Layers.Select(l => l.Attention.AttentionBias?.shape[2]), Is.All.EqualTo(32));
            Assert.That(positions.MaxSequenceLength, Is.EqualTo(32), "extended, so longer sequences are embedded");
            Assert.That(positions.Weight.abs().sum().item<float>(), Is.Zero);
            Assert.That(positions.Weight.requires_grad, Is.False);
        });
        // A 20-token sequence now runs (it is longer than the 8 positions the model was built with).
        var batch = new Batch(new Dictionary<string, Tensor> { [Batch.InputIds] = randint(0, 50, [2, 20]), [Batch.Labels] = tensor(new long[] { 0, 1 }) });
        Assert.That(model.Forward(batch).shape, Is.EqualTo(new long[] { 2, 2 }));
    }

    [Test]
    public void AlibiReshapesSequenceBatchesAndRejectsPerSampleLabels()
    {
        var lm = new Batch(new Dictionary<string, Tensor> { [Batch.InputIds] = arange(16).view(2, 8), [Batch.Labels] = arange(16).view(2, 8) });
        Batch shorter = Functional.ScaleSequenceLength(lm, 0.25);
        Assert.That(shorter.Inputs.shape, Is.EqualTo(new long[] { 8, 2 }));
        Assert.That(shorter.Targets.data<long>().ToArray(), Is.EqualTo(Enumerable.Range(0, 16).Select(i => (long)i)));
        var classification = lm.With(Batch.Labels, tensor(new long[] { 0, 1 }));
        Assert.That(Assert.Throws<InvalidOperationException>(() => Functional.ScaleSequenceLength(classification, 0.5))!.Message,
            Does.Contain("trainSequenceLengthScaling: 1"));
    }

    [Test]
    public void GatedFeedForwardIsOutputOfGeluGateTimesLinear()
    {
        torch.manual_seed(4);
        var block = new GatedFeedForward(dimension: 3, hidden: 5, dropout: 0);
        Tensor x = randn(2, 3);
        Tensor expected = nn.functional.linear(
            nn.functional.gelu(x.matmul(block.Gated.weight!.t())) * x.matmul(block.NonGated.weight!.t()),
            block.Output.weight!, block.Output.bias);
        Assert.Multiple(() =>
        {
            Assert.That(block.call(x).sub(expected).abs().max().item<float>(), Is.LessThan(1e-6f));
            Assert.That(block.Gated.bias, Is.Null, "Composer's default: no bias on the gated layers");
        });
    }

    [Test]
    public void GatedLinearUnitsReplaceEveryFeedForwardAndTheOptimizerTrainsTheNewLayers()
    {
        torch.manual_seed(5);
        var model = new TextClassifier(50, 2, maxSequenceLength: 8, dimension: 8, heads: 2, layers: 2, dropout: 0);
        var optimizer = optim.AdamW(model.parameters(), 0.01);
        Assert.That(Functional.ApplyGatedLinearUnits(model, optimizer), Is.EqualTo(2));
        Assert.That(ModuleSurgery.Count<FeedForward>(model), Is.Zero);
        GatedFeedForward gated = model.Layers[0].FeedForward as GatedFeedForward ?? throw new AssertionException("not replaced");
        Tensor before = gated.Gated.weight!.detach().clone();

        // The new group has its own options: a schedule that sets one group's rate leaves the other's.
        optimizer.ParamGroups.First().LearningRate = 0.5;
        Assert.That(optimizer.ParamGroups.Last().LearningRate, Is.EqualTo(0.01).Within(1e-12));

        var batch = new Batch(new Dictionary<string, Tensor> { [Batch.InputIds] = randint(0, 50, [4, 6]), [Batch.Labels] = tensor(new long[] { 0, 1, 1, 0 }) });
        model.Loss(model.Forward(batch), batch).backward();
        optimizer.step();
        Assert.That(gated.Gated.weight!.sub(before).abs().max().item<float>(), Is.GreaterThan(1e-4f), "the optimizer stepped the new layer");
    }

    [Test]
    public void LowPrecisionLayerNormIsLayerNormInTheAutocastDtypeAndPlainOutsideAutocast()
    {
        torch.manual_seed(6);
        var norm = nn.LayerNorm(16);
        using (no_grad())
        {
            norm.weight!.uniform_(0.5, 1.5);
            norm.bias!.uniform_(-0.5, 0.5);
        }
        var low = new LowPrecisionLayerNormModule(norm);
        Tensor x = randn(3, 16) * 4 + 1;
        Assert.That(low.call(x).eq(norm.call(x)).all().item<bool>(), "outside autocast, the plain layer norm");

        Tensor actual;
        using (Autocast.Enable(DeviceType.CPU, ScalarType.BFloat16))
        {
            actual = low.call(x);
            Assert.That(Autocast.IsEnabled(DeviceType.CPU), "the norm's own scope restored autocast");
        }
        // (x − mean) / √(var + eps) · w + b, from the formula in float64.
        Tensor x64 = x.to_type(float64);
        Tensor expected = (x64 - x64.mean([1], keepdim: true)) / (x64.var(1, unbiased: false, keepdim: true) + 1e-5).sqrt()
            * norm.weight!.to_type(float64) + norm.bias!.to_type(float64);
        double error = actual.to_type(float64).sub(expected).abs().max().item<double>();
        double fullPrecisionError = norm.call(x).to_type(float64).sub(expected).abs().max().item<double>();
        Assert.Multiple(() =>
        {
            Assert.That(actual.dtype, Is.EqualTo(ScalarType.BFloat16), "left in autocast's dtype, as Composer's LPLayerNorm");
            Assert.That(error, Is.LessThan(0.05), "bfloat16 keeps 8 bits of mantissa");
            Assert.That(error, Is.GreaterThan(fullPrecisionError), "computed in the lower precision, not in float32");
        });
    }

    [Test]
    public void LowPrecisionLayerNormReplacesEveryLayerNormOfTheEncoderUnderMixedPrecisionOnly()
    {
        var model = new TextClassifier(50, 2, maxSequenceLength: 8, dimension: 8, heads: 2, layers: 2);
        int layerNorms = ModuleSurgery.Count<LayerNorm>(model);
        Assert.That(Functional.ApplyLowPrecisionLayerNorm(model, Precision.Fp32), Is.Zero, "no effect in fp32, as in Composer");
        Assert.That(ModuleSurgery.Count<LowPrecisionLayerNormModule>(model), Is.Zero);
        Assert.That(Functional.ApplyLowPrecisionLayerNorm(model, Precision.AmpBf16), Is.EqualTo(layerNorms).And.EqualTo(5));
        Assert.That(ModuleSurgery.Count<LowPrecisionLayerNormModule>(model), Is.EqualTo(5));
    }

    private static Batch Padded() => new(new Dictionary<string, Tensor>
    {
        [Batch.InputIds] = arange(12).view(2, 6),
        [Batch.AttentionMask] = ones(2, 6, dtype: int64),
        [Batch.Labels] = tensor(new long[] { 0, 1 }),
    });

    [Test]
    public void SequenceLengthWarmupTruncatesEverySequenceTensorAndKeepsPerSampleLabels()
    {
        Batch cut = Functional.SetBatchSequenceLength(Padded(), 4);
        Assert.Multiple(() =>
        {
            Assert.That(cut.Inputs.data<long>().ToArray(), Is.EqualTo(new long[] { 0, 1, 2, 3, 6, 7, 8, 9 }));
            Assert.That(cut[Batch.AttentionMask].shape, Is.EqualTo(new long[] { 2, 4 }));
            Assert.That(cut.Targets.data<long>().ToArray(), Is.EqualTo(new long[] { 0, 1 }));
        });
    }

    [Test]
    public void SequenceLengthWarmupWithoutTruncationReChunksTokenTensorsAndRefusesPerSampleLabels()
    {
        Batch padded = Padded();
        Batch language = new(padded.Where(p => p.Key != Batch.Labels).Append(new(Batch.Labels, padded.Inputs + 1)));
        Batch pieces = Functional.SetBatchSequenceLength(language, 4, truncate: false);
        Assert.Multiple(() =>
        {
            // [2, 6] at 4: 12 tokens make 3 rows of 4, across the samples, as Composer's view(-1) and view(-1, 4).
            Assert.That(pieces.Inputs.data<long>().ToArray(), Is.EqualTo(Enumerable.Range(0, 12).Select(i => (long)i)));
            Assert.That(pieces.Inputs.shape, Is.EqualTo(new long[] { 3, 4 }));
            Assert.That(pieces[Batch.AttentionMask].shape, Is.EqualTo(new long[] { 3, 4 }));
            Assert.That(pieces.Targets.data<long>().ToArray(), Is.EqualTo(Enumerable.Range(1, 12).Select(i => (long)i)));
        });
        var error = Assert.Throws<ArgumentException>(() => Functional.SetBatchSequenceLength(padded, 3, truncate: false));
        Assert.That(error!.Message, Does.Contain("'labels' is [2]"));
    }
}
