using Composer.Algorithms;
using Composer.Core;

namespace Composer.Tests.Algorithms;

[Trainer(typeof(SelectiveBackprop), typeof(CutOut), typeof(ProgressiveResizing), typeof(LabelSmoothing), typeof(Sam),
    typeof(GradientClipping), typeof(Ema), typeof(BatchProbe))]
public partial class ComposedTrainer;

/// <summary>Seven methods in one trainer: the order the generator chose, as the Trainer reports it, and a run.</summary>
public class ComposedMethodsTests
{
    private static ComposedTrainer Create(BatchProbe probe) => new(
        new SelectiveBackprop(start: 0, end: 1, keep: 0.5, interrupt: 2), new CutOut(length: 0.25), new ProgressiveResizing(),
        new LabelSmoothing(0.1), new Sam(rho: 0.05), new GradientClipping(ClippingType.Norm, 1.0), new Ema("2ba"), probe,
        MethodsSetup.Images());

    [Test]
    public void TheScheduleIsKnownBeforeTheRunAndFollowsTheDeclarations()
    {
        string[] lines = Create(new BatchProbe()).DescribeSchedule().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

        // AfterDataloader reverses the algorithms (FILO), but SelectiveBackprop declares itself first;
        // AfterTrainBatch reverses Sam and GradientClipping, which also declares it runs after Sam.
        Assert.That(lines, Does.Contain("AfterDataloader  SelectiveBackprop.SelectSamples, ProgressiveResizing.Resize, CutOut.EraseBoxes, BatchProbe.AfterDataloader"));
        Assert.That(lines, Does.Contain("AfterTrainBatch  Sam.SharpenGradients, GradientClipping.Clip, BatchProbe.AfterTrainBatch"));
        Assert.That(lines, Does.Contain("BeforeLoss       LabelSmoothing.SmoothTargets, BatchProbe.BeforeLoss"));
        Assert.That(lines[0], Does.StartWith("Init             Ema.CreateAverage"));
    }

    [Test]
    public void SevenMethodsTrainTogether()
    {
        var probe = new BatchProbe();
        ComposedTrainer trainer = Create(probe);
        float[][] before = MethodsSetup.Weights(trainer);
        trainer.Fit();

        Assert.That(probe.Losses, Has.Count.EqualTo(8).And.All.Matches<double>(double.IsFinite));
        Assert.That(MethodsSetup.Weights(trainer), Is.Not.EqualTo(before));
        // Selection halves every other batch (interrupt 2); progressive resizing starts at 8 px; clipping bounds the step.
        Assert.That(probe.InputShapes.Select(s => s[0]), Is.EqualTo(new long[] { 2, 4, 2, 4, 2, 4, 2, 4 }));
        Assert.That(probe.InputShapes[0][3], Is.EqualTo(8));
        Assert.That(probe.GradientNorms, Has.All.LessThanOrEqualTo(1.0 + 1e-6));
    }
}
