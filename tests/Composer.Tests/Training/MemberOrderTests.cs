using Composer.Core;
using Composer.Loggers;

namespace Composer.Tests.Training;

/// <summary>Records "Event:Tag" at five events; its subclasses inherit the subscriptions.</summary>
public abstract class TaggedAlgorithm(string tag, List<string> log) : Algorithm
{
    [OnEvent(Event.Init)] public void Init(State s) => log.Add($"Init:{tag}");
    [OnEvent(Event.BeforeLoss)] public void BeforeLoss(State s) => log.Add($"BeforeLoss:{tag}");
    [OnEvent(Event.AfterLoss)] public void AfterLoss(State s) => log.Add($"AfterLoss:{tag}");
    [OnEvent(Event.EpochEnd)] public void EpochEnd(State s) => log.Add($"EpochEnd:{tag}");
    [OnEvent(Event.EvalAfterForward)] public void EvalAfterForward(State s) => log.Add($"EvalAfterForward:{tag}");
}

public sealed class FirstAlgorithm(List<string> log) : TaggedAlgorithm("A", log);

public sealed class SecondAlgorithm(List<string> log) : TaggedAlgorithm("B", log);

public sealed class TaggedCallback(List<string> log) : Callback
{
    [OnEvent(Event.Init)] public void Init(State s, Logger l) => log.Add("Init:C");
    [OnEvent(Event.BeforeLoss)] public void BeforeLoss(State s, Logger l) => log.Add("BeforeLoss:C");
    [OnEvent(Event.AfterLoss)] public void AfterLoss(State s, Logger l) => log.Add("AfterLoss:C");
    [OnEvent(Event.EpochEnd)] public void EpochEnd(State s, Logger l) => log.Add("EpochEnd:C");
    [OnEvent(Event.EvalAfterForward)] public void EvalAfterForward(State s, Logger l) => log.Add("EvalAfterForward:C");
}

public sealed class TaggedLogger(List<string> log) : LoggerDestination
{
    public List<IReadOnlyDictionary<string, double>> Metrics { get; } = [];

    [OnEvent(Event.Init)] public void Init(State s) => log.Add("Init:L");
    [OnEvent(Event.BeforeLoss)] public void BeforeLoss(State s) => log.Add("BeforeLoss:L");
    [OnEvent(Event.AfterLoss)] public void AfterLoss(State s) => log.Add("AfterLoss:L");
    [OnEvent(Event.EpochEnd)] public void EpochEnd(State s) => log.Add("EpochEnd:L");
    [OnEvent(Event.EvalAfterForward)] public void EvalAfterForward(State s) => log.Add("EvalAfterForward:L");

    public override void LogMetrics(Timestamp timestamp, IReadOnlyDictionary<string, double> metrics) => Metrics.Add(metrics);
}

[Trainer(typeof(FirstAlgorithm), typeof(SecondAlgorithm), typeof(TaggedCallback), typeof(TaggedLogger))]
public partial class OrderTrainer;

public class MemberOrderTests
{
    private static (OrderTrainer Trainer, List<string> Log, TaggedLogger Logger) Create(string maxDuration)
    {
        var log = new List<string>();
        var logger = new TaggedLogger(log);
        var trainer = new OrderTrainer(new FirstAlgorithm(log), new SecondAlgorithm(log), new TaggedCallback(log), logger,
            TestSetup.Options(maxDuration));
        return (trainer, log, logger);
    }

    [Test]
    public void InitRunsLoggersThenCallbacksThenAlgorithms()
    {
        var (_, log, _) = Create("1ep");
        Assert.That(log, Is.EqualTo(new[] { "Init:L", "Init:C", "Init:A", "Init:B" }));
    }

    [Test]
    public void OtherEventsRunAlgorithmsThenCallbacksThenLoggersReversingAlgorithmsOnAfterEvents()
    {
        var (trainer, log, _) = Create("1ba");
        log.Clear();
        trainer.Fit();
        Assert.That(log.Take(8), Is.EqualTo(new[]
        {
            "BeforeLoss:A", "BeforeLoss:B", "BeforeLoss:C", "BeforeLoss:L",
            // AFTER_LOSS starts with AFTER_: Composer runs the algorithms first in, last out.
            "AfterLoss:B", "AfterLoss:A", "AfterLoss:C", "AfterLoss:L",
        }));
    }

    [Test]
    public void EndEventsAndEvalAfterEventsKeepDeclarationOrder()
    {
        var (trainer, log, _) = Create("1ep");
        log.Clear();
        trainer.Fit();
        Assert.That(log.Where(e => e.StartsWith("EpochEnd")), Is.EqualTo(new[] { "EpochEnd:A", "EpochEnd:B", "EpochEnd:C", "EpochEnd:L" }));
        Assert.That(log.Where(e => e.StartsWith("EvalAfterForward")).Take(4),
            Is.EqualTo(new[] { "EvalAfterForward:A", "EvalAfterForward:B", "EvalAfterForward:C", "EvalAfterForward:L" }));
    }

    [Test]
    public void EvaluationLogsItsMetricsToTheLoggerDestinations()
    {
        var (trainer, _, logger) = Create("1ep");
        trainer.Fit();
        var evaluations = logger.Metrics.Where(m => m.ContainsKey("metrics/eval/Accuracy")).ToList();
        Assert.That(evaluations, Has.Count.EqualTo(1));
        Assert.That(evaluations[0]["metrics/eval/Accuracy"], Is.EqualTo(trainer.State.EvalMetrics["eval"]["Accuracy"].Compute()));
        // The training loss of each batch, read at the epoch's end rather than batch by batch.
        Assert.That(logger.Metrics.Count(m => m.ContainsKey("loss/train/total")), Is.EqualTo(TestSetup.TrainBatches));
    }
}
