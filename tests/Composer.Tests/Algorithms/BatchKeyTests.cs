using Composer.Algorithms;
using Composer.Core;
using Composer.Data;
using Composer.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Algorithms;

/// <summary>MixUp, CutMix and label smoothing on dict batches: the keys they read, and the error when one is missing.</summary>
public class BatchKeyTests
{
    // Dict samples {"pixel_values": [4], "label": scalar}, batched with those keys as inputs and targets.
    private static TrainerOptions Options(int seed = 3)
    {
        torch.manual_seed(seed);
        var model = new ComposerClassifier(nn.Linear(4, 3), numClasses: 3);
        var samples = Dataset.From<IReadOnlyDictionary<string, Tensor>>(8, i => new Dictionary<string, Tensor>
        {
            ["pixel_values"] = full(4, (float)i),
            ["label"] = tensor((long)(i % 3)),
        });
        return new TrainerOptions
        {
            Model = model,
            TrainDataloader = new DataLoader<IReadOnlyDictionary<string, Tensor>>(samples, batchSize: 4,
                collate: s => new Batch(Collate.Stack(s), inputsKey: "pixel_values", targetsKey: "label")),
            MaxDuration = Time.Parse("1ba"),
            Optimizer = optim.SGD(model.parameters(), 0.1),
            Seed = seed,
        };
    }

    [Test]
    public void LabelSmoothingSmoothsTheTargetsKeyAndRestoresIt()
    {
        var probe = new TargetProbe();
        new LabelSmoothingTrainer(new LabelSmoothing(0.3), probe, Options()).Fit();
        // Labels 0, 1, 2, 0 as (1 − 0.3)·one-hot + 0.3 / 3.
        float[] expected = [0.8f, 0.1f, 0.1f, 0.1f, 0.8f, 0.1f, 0.1f, 0.1f, 0.8f, 0.8f, 0.1f, 0.1f];
        Assert.That(probe.BeforeLoss[0], Is.EqualTo(expected).Within(1e-6));
        Assert.That(probe.AfterLoss[0], Is.EqualTo(new float[] { 0, 1, 2, 0 }), "the labels are back after the loss");
    }

    [Test]
    public void MixUpMixesTheInputsKeyOfADictBatch()
    {
        var probe = new TargetProbe();
        var mixUp = new MixUp(alpha: 1.0);
        new MixUpTrainer(mixUp, probe, Options()).Fit();
        float[] mixed = probe.BeforeLoss[0];
        Assert.That(mixed.Length, Is.EqualTo(12), "targets mixed into class probabilities");
float[][] rows = mixed.Chunk(3).ToArray();
        Assert.That(rows.Select(r => r.Sum()), Is.All.EqualTo(1f).Within(1e-5), "each row is a distribution");
        Assert.That(rows.Any(r => r.Max() < 0.999f), Is.True, "some rows mix two classes");
    }

    [Test]
    public void AnAlgorithmKeyTheBatchLacksFailsWithTheKeysItHas()
    {
        var mixUp = new MixUp(alpha: 1.0) { InputKey = "image" };
        var error = Assert.Throws<KeyNotFoundException>(() => new MixUpTrainer(mixUp, new TargetProbe(), Options()).Fit());
        Assert.That(error!.Message, Does.Contain("MixUp reads the batch's tensor 'image'").And.Contain("'pixel_values', 'label'"));
    }
}
