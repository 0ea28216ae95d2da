using Composer.Core;
using Composer.Optim;
using Composer.Tests.Training;

namespace Composer.Tests.Optim;

/// <summary>Records the learning rate each batch trains with.</summary>
public sealed class LearningRateRecorder : Callback
{
    public List<double> Rates { get; } = [];

    [OnEvent(Event.BeforeForward)]
    public void Record(State state) => Rates.Add(state.Optimizer.ParamGroups.First().LearningRate);
}

[Trainer(typeof(LearningRateRecorder))]
public partial class LearningRateTrainer;

/// <summary>
/// The rate at every batch of a 4-epoch run (3 batches each, 12 in all, initial rate 0.1) against each
/// schedule's formula, evaluated at the batch's own index k.
/// </summary>
public class ComposerSchedulerTests
{
    private const double BaseRate = 0.1;
    private const int Batches = 12;

    private static List<double> Rates(string maxDuration, double ratio, params ComposerScheduler[] schedulers)
    {
        TrainerOptions o = TestSetup.Options(maxDuration, evalInterval: "0ep");
        var recorder = new LearningRateRecorder();
        new LearningRateTrainer(recorder, new TrainerOptions
        {
            Model = o.Model, TrainDataloader = o.TrainDataloader, MaxDuration = o.MaxDuration, Optimizer = o.Optimizer,
            Schedulers = schedulers, ScaleScheduleRatio = ratio, Seed = 7,
        }).Fit();
        return recorder.Rates;
    }

    private static void AssertSchedule(ComposerScheduler scheduler, Func<int, double> alpha, string maxDuration = "4ep", double ratio = 1.0, int batches = Batches)
    {
        List<double> rates = Rates(maxDuration, ratio, scheduler);
        Assert.That(rates, Has.Count.EqualTo(batches));
        for (int k = 0; k < batches; k++)
            Assert.That(rates[k], Is.EqualTo(BaseRate * alpha(k)).Within(1e-12), $"batch {k}");
    }

    private static double Cosine(double x, double alphaF = 0) => alphaF + (1 - alphaF) * (1 + Math.Cos(Math.PI * x)) / 2;

    [Test]
    public void StepDecaysEveryStepSize() => AssertSchedule(new StepScheduler("2ba", gamma: 0.5), k => Math.Pow(0.5, k / 2));

    [Test]
    public void StepInEpochsCountsBatchesOfAnEpoch() => AssertSchedule(new StepScheduler("1ep", gamma: 0.5), k => Math.Pow(0.5, k / 3));

    [Test]
    public void MultiStepDropsAtEachMilestone() =>
        AssertSchedule(new MultiStepScheduler(["3ba", "7ba"], gamma: 0.1), k => k >= 7 ? 0.01 : k >= 3 ? 0.1 : 1);

    [Test]
    public void ConstantHoldsAlphaUntilTMax() => AssertSchedule(new ConstantScheduler(0.5, "5ba"), k => k < 5 ? 0.5 : 1);

    [Test]
    public void LinearRampsOverTheRun() => AssertSchedule(new LinearScheduler(1.0, 0.0), k => 1 - k / 12.0);

    [Test]
    public void ExponentialDecaysSmoothly() => AssertSchedule(new ExponentialScheduler(0.9, "1ba"), k => Math.Pow(0.9, k));

    [Test]
    public void CosineAnnealsToAlphaF() => AssertSchedule(new CosineAnnealingScheduler(alphaF: 0.1), k => Cosine(k / 12.0, 0.1));

    [Test]
    public void WarmRestartsLengthenEachCycle() =>
        // Cycles [0, 4) and [4, 12) with tMult 2.
        AssertSchedule(new CosineAnnealingWarmRestartsScheduler("4ba", tMult: 2), k => k < 4 ? Cosine(k / 4.0) : Cosine((k - 4) / 8.0));

    [Test]
    public void PolynomialDecaysWithPower() => AssertSchedule(new PolynomialScheduler(2.0), k => Math.Pow(1 - k / 12.0, 2));

    [Test]
    public void LinearWithWarmupRisesThenRamps() =>
        AssertSchedule(new LinearWithWarmupScheduler("3ba", alphaI: 1, alphaF: 0), k => k < 3 ? k / 3.0 : 1 - (k - 3) / 9.0);

    [Test]
    public void CosineWithWarmupRisesThenAnneals() =>
        AssertSchedule(new CosineAnnealingWithWarmupScheduler("3ba"), k => k < 3 ? k / 3.0 : Cosine((k - 3) / 9.0));

    [Test]
    public void PolynomialWithWarmupRisesThenDecays() =>
        AssertSchedule(new PolynomialWithWarmupScheduler("3ba", power: 2), k => k < 3 ? k / 3.0 : Math.Pow(1 - (k - 3) / 9.0, 2));

    [Test]
    public void ConstantWithWarmupRisesToAlphaAndStaysThereAsComposerBuildsIt() =>
        AssertSchedule(new ConstantWithWarmupScheduler("3ba", alpha: 0.5), k => k < 3 ? 0.5 * k / 3.0 : 0.5);

    [TestCase("6ba")]
    [TestCase("0.5dur")]
    public void AWarmupSchedulerWhoseTMaxEndsBeforeTheRunIsAnErrorAtTheFirstBatch(string tMax)
    {
        var error = Assert.Throws<ArgumentException>(() => Rates("4ep", 1.0, new ConstantWithWarmupScheduler("3ba", alpha: 0.5, tMax: tMax)));
        Assert.That(error!.Message, Does.Contain("must be at least the max duration 4ep"));
    }

    [Test]
    public void MultiStepWithWarmupRisesThenSteps() =>
        AssertSchedule(new MultiStepWithWarmupScheduler("2ba", ["5ba"], gamma: 0.1), k => k < 2 ? k / 2.0 : k >= 5 ? 0.1 : 1);

    [Test]
    public void SchedulersMultiply()
    {
        List<double> rates = Rates("4ep", 1.0, new StepScheduler("2ba", 0.5), new LinearScheduler(1.0, 0.0));
        for (int k = 0; k < Batches; k++)
            Assert.That(rates[k], Is.EqualTo(BaseRate * Math.Pow(0.5, k / 2) * (1 - k / 12.0)).Within(1e-12), $"batch {k}");
    }

    [Test]
    public void ScaleScheduleRatioShortensTheRunAndStretchesTheSchedule()
    {
        // 4ep * 0.5 = 2ep = 6 batches; "1dur" is the scaled run, "2ba" becomes 1ba.
        AssertSchedule(new CosineAnnealingScheduler(), k => Cosine(k / 6.0), ratio: 0.5, batches: 6);
        AssertSchedule(new StepScheduler("2ba", 0.5), k => Math.Pow(0.5, k), ratio: 0.5, batches: 6);
    }

    [Test]
    public void ScaleScheduleRatioLeavesWarmupAloneUnlessAsked()
    {
        AssertSchedule(new LinearWithWarmupScheduler("2ba"), k => k < 2 ? k / 2.0 : 1 - (k - 2) / 4.0, ratio: 0.5, batches: 6);
        AssertSchedule(new LinearWithWarmupScheduler("2ba", scaleWarmup: true), k => k < 2 ? k / 1.0 : 1 - (k - 2) / 4.0, ratio: 0.5, batches: 6);
    }

    [Test]
    public void ScaleScheduleRatioWithoutSchedulersIsAnError()
    {
        TrainerOptions o = TestSetup.Options("4ep");
        var e = Assert.Throws<ArgumentException>(() => new LearningRateTrainer(new LearningRateRecorder(), new TrainerOptions
        {
            Model = o.Model, TrainDataloader = o.TrainDataloader, MaxDuration = o.MaxDuration, ScaleScheduleRatio = 0.5,
        }));
        Assert.That(e!.Message, Does.Contain("no Schedulers are set"));
    }

    [Test]
    public void WarmupAndTMaxInDifferentUnitsIsAClearError()
    {
        // Raised at the first batch, inside the warmup, as Composer checks at every call.
        var e = Assert.Throws<ArgumentException>(() => Rates("4ep", 1.0, new LinearWithWarmupScheduler("2sp", tMax: "12ba")));
        Assert.That(e!.Message, Does.Contain("different units"));
    }
}
