using Composer.Algorithms;
using Composer.Core;
using Composer.Tests.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Algorithms;

/// <summary>Captures the targets after the algorithms at BeforeLoss and AfterLoss (callbacks run after algorithms).</summary>
public sealed class TargetProbe : Callback
{
    public List<float[]> BeforeLoss { get; } = [];
    public List<float[]> AfterLoss { get; } = [];
    public List<long[]> Labels { get; } = [];

    [OnEvent(Event.AfterDataloader)]
    public void Labelled(State state) => Labels.Add(state.Batch.Targets.data<long>().ToArray());

    [OnEvent(Event.BeforeLoss)]
    public void Before(State state) => BeforeLoss.Add(state.Batch.Targets.to(float32).data<float>().ToArray());

    [OnEvent(Event.AfterLoss)]
    public void After(State state) => AfterLoss.Add(state.Batch.Targets.to(float32).data<float>().ToArray());
}

[Trainer(typeof(LabelSmoothing), typeof(TargetProbe))]
public partial class LabelSmoothingTrainer;

public class LabelSmoothingTests
{
    [Test]
    public void SmoothLabelsMatchesTheFormula()
    {
        using var logits = zeros(2, 3);
        using var targets = tensor(new long[] { 0, 2 });
        using var smoothed = Functional.SmoothLabels(logits, targets, smoothing: 0.3);
        // one_hot * (1 - 0.3) + 0.3 / 3
        float[] expected = [0.8f, 0.1f, 0.1f, 0.1f, 0.1f, 0.8f];
        Assert.That(smoothed.data<float>().ToArray(), Is.EqualTo(expected).Within(1e-6));
    }

    [Test]
    public void SmoothLabelsAcceptsProbabilityTargets()
    {
        using var logits = zeros(1, 4);
        using var targets = tensor(new float[] { 0.5f, 0.5f, 0, 0 }, [1, 4]);
        using var smoothed = Functional.SmoothLabels(logits, targets, smoothing: 0.2);
        Assert.That(smoothed.data<float>().ToArray(), Is.EqualTo(new[] { 0.45f, 0.45f, 0.05f, 0.05f }).Within(1e-6));
    }

    [TestCase(-0.1)]
    [TestCase(1.1)]
    [TestCase(double.NaN)]
    public void RejectsSmoothingOutsideZeroToOne(double smoothing) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new LabelSmoothing(smoothing));

    [Test]
    public void SmoothingOfOneIgnoresTheTargetsAsComposerAllows()
    {
        using var logits = zeros(2, 4);
        using var smoothed = Functional.SmoothLabels(logits, tensor(new long[] { 0, 3 }), smoothing: 1.0);
        Assert.That(smoothed.data<float>().ToArray(), Has.All.EqualTo(0.25f));
    }

    [Test]
    public void SmoothsTargetsForTheLossAndRestoresThemAfter()
    {
        var probe = new TargetProbe();
        var trainer = new LabelSmoothingTrainer(new LabelSmoothing(0.3), probe, TestSetup.Options("1ba"));
        trainer.Fit();

        long[] labels = probe.Labels[0];
        float[] expected = labels.SelectMany(label => Enumerable.Range(0, 3).Select(c => c == label ? 0.8f : 0.1f)).ToArray();
        Assert.That(probe.BeforeLoss[0], Is.EqualTo(expected).Within(1e-6));
        Assert.That(probe.AfterLoss[0], Is.EqualTo(labels.Select(l => (float)l).ToArray()));
    }
}
