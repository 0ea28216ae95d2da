using Composer.Algorithms;
using Composer.Core;
using Composer.Tests.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Algorithms;

/// <summary>Captures the model's weight during evaluation and before and after it.</summary>
public sealed class WeightProbe : Callback
{
    public List<float[]> AtEvalBatch { get; } = [];
    public List<float[]> AtFitEnd { get; } = [];

    [OnEvent(Event.EvalBatchStart)]
    public void DuringEval(State state) => AtEvalBatch.Add(Weights(state));

    [OnEvent(Event.FitEnd)]
    public void AfterTraining(State state) => AtFitEnd.Add(Weights(state));

    internal static float[] Weights(State state) =>
        state.Model.parameters().SelectMany(p => p.detach().data<float>().ToArray()).ToArray();
}

[Trainer(typeof(Ema), typeof(WeightProbe))]
public partial class EmaTrainer;

public class EmaTests
{
    [Test]
    public void ComputeEmaMatchesTheFormula()
    {
        using var model = nn.Linear(2, 1);
        using (no_grad())
        {
            model.weight!.copy_(tensor(new float[] { 1, 2 }, [1, 2]));
            model.bias!.copy_(tensor(new float[] { 3 }));
        }
        var average = new Dictionary<string, Tensor>
        {
            ["weight"] = tensor(new float[] { 5, 6 }, [1, 2]),
            ["bias"] = tensor(new float[] { 7 }),
        };
        Functional.ComputeEma(model, average, smoothing: 0.75);

        // 0.75 * ema + 0.25 * weight
        Assert.That(average["weight"].data<float>().ToArray(), Is.EqualTo(new[] { 4f, 5f }).Within(1e-6));
        Assert.That(average["bias"].data<float>().ToArray(), Is.EqualTo(new[] { 6f }).Within(1e-6));
    }

    [Test]
    public void HalfLifeSetsTheSmoothing()
    {
        Assert.That(new Ema("10ba").Smoothing, Is.EqualTo(Math.Pow(2, -0.1)).Within(1e-12));
        Assert.That(new Ema("10ba", updateInterval: "5ba").Smoothing, Is.EqualTo(Math.Pow(2, -0.5)).Within(1e-12));
        Assert.That(Functional.EmaSmoothing(1), Is.EqualTo(0.5));
    }

    [TestCase("10sp")]
    [TestCase("0ba")]
    [TestCase("ten")]
    public void RejectsHalfLivesThatAreNotBatchesOrEpochs(string halfLife) =>
        Assert.That(() => new Ema(halfLife), Throws.InstanceOf<ArgumentException>().Or.InstanceOf<FormatException>());

    [Test]
    public void EvaluatesOnTheAverageAndTrainsOnTheRawWeights()
    {
        var ema = new Ema("1ba");
        var probe = new WeightProbe();
        var trainer = new EmaTrainer(ema, probe, TestSetup.Options("1ep"));
        float[] initial = WeightProbe.Weights(trainer.State);
        trainer.Fit();

        float[] average = trainer.State.Model.named_parameters()
            .SelectMany(p => ema.Average[p.name].data<float>().ToArray()).ToArray();
        float[] raw = WeightProbe.Weights(trainer.State);

        Assert.That(probe.AtEvalBatch[0], Is.EqualTo(average), "evaluation sees the averaged weights");
        Assert.That(raw, Is.Not.EqualTo(average), "training moved the raw weights away from the average");
        Assert.That(raw, Is.EqualTo(probe.AtFitEnd[0]), "the raw weights are back in the model after evaluation");
        Assert.That(raw, Is.Not.EqualTo(initial));
    }

    [Test]
    public void AverageFollowsTheFormulaAcrossBatches()
    {
        // Half-life 1ba: smoothing 0.5, so after each batch ema = (ema + w) / 2.
        var ema = new Ema("1ba");
        var probe = new WeightProbe();
        var trainer = new EmaTrainer(ema, probe, TestSetup.Options("2ba", evalInterval: "0ep"));
        var snapshots = new List<float[]> { WeightProbe.Weights(trainer.State) };
        trainer.State.MaxDuration = Time.Parse("1ba");
        trainer.Fit();
        snapshots.Add(WeightProbe.Weights(trainer.State));
        trainer.State.MaxDuration = Time.Parse("2ba");
        trainer.Fit();
        snapshots.Add(WeightProbe.Weights(trainer.State));

        float[] expected = snapshots[0]
            .Select((w0, i) => 0.5f * (0.5f * w0 + 0.5f * snapshots[1][i]) + 0.5f * snapshots[2][i]).ToArray();
        float[] average = trainer.State.Model.named_parameters()
            .SelectMany(p => ema.Average[p.name].data<float>().ToArray()).ToArray();
        Assert.That(average, Is.EqualTo(expected).Within(1e-6));
    }
}
