using Composer.Callbacks;
using Composer.Core;
using Composer.Data;
using Composer.Datasets;
using Composer.Loggers;
using Composer.Models;
using Composer.Optim;
using Composer.Tests.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Callbacks;

[Trainer(typeof(LRMonitor), typeof(SpeedMonitor), typeof(MemoryMonitor), typeof(OptimizerMonitor), typeof(RuntimeEstimator), typeof(InMemoryLogger))]
public partial class MonitoredTrainer;

[Trainer(typeof(EarlyStopper), typeof(ThresholdStopper))]
public partial class StoppingTrainer;

[Trainer(typeof(NaNMonitor))]
public partial class NaNWatchedTrainer;

public class CallbackTests
{
    private static (MonitoredTrainer Trainer, InMemoryLogger Log) RunMonitored()
    {
        TrainerOptions o = TestSetup.Options("2ep", evalInterval: "0ep");
        var log = new InMemoryLogger();
        var trainer = new MonitoredTrainer(new LRMonitor(), new SpeedMonitor(windowSize: 2), new MemoryMonitor(), new OptimizerMonitor(batchLogInterval: 1),
            new RuntimeEstimator(skipBatches: 1), log, new TrainerOptions
            {
                Model = o.Model, TrainDataloader = o.TrainDataloader, MaxDuration = o.MaxDuration, Optimizer = o.Optimizer, Seed = 7,
                Schedulers = [new LinearScheduler(1.0, 0.0)],
            });
        trainer.Fit();
        return (trainer, log);
    }

    [Test]
    public void LRMonitorLogsTheRateEachBatchTrainedWith()
    {
        (_, InMemoryLogger log) = RunMonitored();
        var rates = log.Data["lr-SGD/group0"].Select(v => v.Value).ToList();
        // Batch k of 6 trains with 0.1 * (1 - k / 6).
        Assert.That(rates, Is.EqualTo(Enumerable.Range(0, 6).Select(k => 0.1 * (1 - k / 6.0))).Within(1e-12));
    }

    [Test]
    public void MemoryMonitorReportsTheResidentSet()
    {
        (_, InMemoryLogger log) = RunMonitored();
        double rss = log.Data["memory/rss_mb"][^1].Value;
        Assert.That(rss, Is.GreaterThan(10));
        Assert.That(rss, Is.LessThanOrEqualTo(log.Data["memory/peak_rss_mb"][^1].Value));
    }

    [Test]
    public void RuntimeEstimatorReachesZeroAtTheEnd()
    {
        (MonitoredTrainer trainer, InMemoryLogger log) = RunMonitored();
        var estimates = log.Data["wall_clock/remaining_estimate"].Select(v => v.Value).ToList();
        Assert.That(estimates, Is.Not.Empty);
        Assert.That(estimates[^1], Is.EqualTo(0).Within(1e-12));
        Assert.That(estimates.Take(estimates.Count - 1), Is.All.GreaterThan(0));
    }

    private static StoppingTrainer Stopping(EarlyStopper early, ThresholdStopper threshold, string maxDuration, Func<State, Event, bool>? evalWhen = null)
    {
        TrainerOptions o = TestSetup.Options(maxDuration);
        return new StoppingTrainer(early, threshold, new TrainerOptions
        {
            Model = o.Model, TrainDataloader = o.TrainDataloader, EvalDataloader = o.EvalDataloader, MaxDuration = o.MaxDuration,
            // A rate of 0: the accuracy never changes, so it never improves.
            Optimizer = optim.SGD(o.Model.parameters(), 0.0), Seed = 7, EvalPredicate = evalWhen,
        });
    }

    [Test]
    public void EarlyStopperStopsOncePatienceRunsOut()
    {
        var early = new EarlyStopper("Accuracy", "eval", patience: "2ba");
        var trainer = Stopping(early, new ThresholdStopper("Accuracy", "eval", 2.0), "3ep", (_, e) => e == Event.BatchEnd);
        trainer.Fit();
        // Best at batch 1; 4 - 1 > 2 at batch 4.
        Assert.That(early.BestAt!.Value.Batch, Is.EqualTo(1));
        Assert.That(trainer.State.Timestamp.Batch, Is.EqualTo(4));
    }

    [Test]
    public void ThresholdStopperStopsAtTheFirstEvaluationPastTheThreshold()
    {
        var threshold = new ThresholdStopper("Accuracy", "eval", 0.0);
        var trainer = Stopping(new EarlyStopper("Accuracy", "eval", patience: "100ep"), threshold, "3ep");
        trainer.Fit();
        Assert.That(trainer.State.Timestamp.Batch, Is.EqualTo(TestSetup.TrainBatches));
        Assert.That(threshold.ReachedAt!.Value.Epoch, Is.EqualTo(1));
    }

    [Test]
    public void StoppersNameAMissingMetric()
    {
        var trainer = Stopping(new EarlyStopper("F1", "eval"), new ThresholdStopper("Accuracy", "eval", 2.0), "1ep");
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Fit());
        Assert.That(e!.Message, Does.Contain("\"F1\"").And.Contain("Accuracy"));
    }

    [Test]
    public void NaNMonitorStopsOnANaNLoss()
    {
        torch.manual_seed(1);
        var model = new ComposerClassifier(nn.Linear(4, 3), numClasses: 3);
        using var data = new TensorDataset(full(4, 4, double.NaN), zeros(4, dtype: int64));
        var trainer = new NaNWatchedTrainer(new NaNMonitor(), new TrainerOptions
        {
            Model = model, TrainDataloader = new DataLoader(data, batchSize: 2), MaxDuration = Time.Parse("1ep"), Seed = 1,
        });
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Fit());
        Assert.That(e!.Message, Does.Contain("NaN").And.Contain("batch 0"));
    }
}
