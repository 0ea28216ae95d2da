using Composer.Callbacks;
using Composer.Core;
using Composer.Data;
using Composer.Loggers;
using Composer.Metrics;
using Composer.Models;
using Composer.Tests.Text;
using Composer.Tests.Training;
using static TorchSharp.torch;

namespace Composer.Tests.Callbacks;

/// <summary>SpeedMonitor's values against Composer's definitions, recomputed from the logged training time.</summary>
public class SpeedMonitorTests
{
    /// <summary>A classifier that reports a fixed cost per sample, as Composer's <c>flops_per_batch</c>.</summary>
    private sealed class CountedClassifier : ComposerModel, IFlopsPerBatch
    {
        private readonly ComposerClassifier _inner = new(nn.Linear(4, 3), numClasses: 3);

        public CountedClassifier() : base(nameof(CountedClassifier)) => RegisterComponents();

        public double FlopsPerBatch(Batch batch) => 1e6 * batch.Size;

        public override Tensor Forward(Batch batch) => _inner.Forward(batch);

        public override Tensor Loss(Tensor outputs, Batch batch) => _inner.Loss(outputs, batch);

        public override IReadOnlyDictionary<string, Metric> CreateMetrics(bool isTrain) => _inner.CreateMetrics(isTrain);
    }

    private static TrainerOptions With(TrainerOptions o, SpeedMonitor monitor, InMemoryLogger log, ComposerModel? model = null) => o with
    {
        Model = model ?? o.Model,
        Optimizer = model is null ? o.Optimizer : TorchSharp.torch.optim.SGD(model.parameters(), 0.1),
        Seed = 7,
        Callbacks = [monitor],
        Loggers = [log],
    };

    [Test]
    public void RatesSpanTheWindowOfTrainingTimeAndFlopsGiveMfu()
    {
        var log = new InMemoryLogger();
        var monitor = new SpeedMonitor(windowSize: 2, gpuFlopsAvailable: 1e9, timeUnit: "seconds");
        new BareOptionsTrainer(With(TestSetup.Options("3ep", evalInterval: "1ep"), monitor, log, new CountedClassifier())).Fit();

        var train = log.Data["time/train"].ToDictionary(v => v.Timestamp.Batch, v => v.Value);
        Assert.That(train.Keys, Is.EqualTo(Enumerable.Range(1, 9)), "the times after every batch");
        // From the third batch on (a window of 2 needs 3 ends), 2 batches of 2 samples over the window's seconds.
        var samples = log.Data["throughput/samples_per_sec"];
        Assert.That(samples.Select(v => v.Timestamp.Batch), Is.EqualTo(Enumerable.Range(3, 7)));
        foreach ((Timestamp at, double value) in samples)
        {
            double seconds = train[at.Batch] - train[at.Batch - 2];
            Assert.That(value, Is.EqualTo(4 / seconds).Within(1e-9).Percent);
            Assert.That(log.Data["throughput/batches_per_sec"].Single(v => v.Timestamp.Batch == at.Batch).Value, Is.EqualTo(2 / seconds).Within(1e-9).Percent);
            // Composer's flops: all but the oldest of the window's 3 entries, 2e6 each.
            double flops = log.Data["throughput/flops_per_sec"].Single(v => v.Timestamp.Batch == at.Batch).Value;
            Assert.That(flops, Is.EqualTo(4e6 / seconds).Within(1e-9).Percent);
            Assert.That(log.Data["throughput/device/mfu"].Single(v => v.Timestamp.Batch == at.Batch).Value, Is.EqualTo(flops / 1e9).Within(1e-12).Percent);
            Assert.That(log.Data["throughput/device/samples_per_sec"].Single(v => v.Timestamp.Batch == at.Batch).Value, Is.EqualTo(value), "one process");
        }
        Assert.That(log.Data.Keys, Has.No.Member("throughput/tokens_per_sec"), "these batches count no tokens");

        // Evaluation time is not training time: time/total is their sum, and time/val grows only with evaluations.
        var val = log.Data["time/val"].ToDictionary(v => v.Timestamp.Batch, v => v.Value);
        Assert.That(val[3], Is.EqualTo(0), "no evaluation before the first epoch ends");
        Assert.That(val[4], Is.GreaterThan(0));
        foreach ((Timestamp at, double total) in log.Data["time/total"])
            Assert.That(total, Is.EqualTo(train[at.Batch] + val[at.Batch]).Within(1e-12));
        Assert.That(monitor.GpuFlopsAvailable, Is.EqualTo(1e9));
    }

    [Test]
    public void TokensPerSecondCountTheBatchesTokens()
    {
        var log = new InMemoryLogger();
        var trainer = new BareOptionsTrainer(With(TextSetup.Options("2ep", shuffle: false), new SpeedMonitor(windowSize: 2, timeUnit: "seconds"), log));
        trainer.Fit();
        var train = log.Data["time/train"].ToDictionary(v => v.Timestamp.Batch, v => v.Value);
        var tokensAt = new Dictionary<long, long>();
        // The timestamp's token count is what the rate differences: recomputed from the padded batches' masks.
        var loader = TextSetup.Options("1ep", shuffle: false).TrainDataloader;
        long[] perBatch = [.. loader.Select(b => b.TokenCount)];
        long running = 0;
        for (int b = 1; b <= 6; b++) tokensAt[b] = running += perBatch[(b - 1) % perBatch.Length];
        foreach ((Timestamp at, double value) in log.Data["throughput/tokens_per_sec"])
            Assert.That(value, Is.EqualTo((tokensAt[at.Batch] - tokensAt[at.Batch - 2]) / (train[at.Batch] - train[at.Batch - 2])).Within(1e-9).Percent);
        Assert.That(log.Data["throughput/tokens_per_sec"], Has.Count.EqualTo(4));
    }

    [Test]
    public void WithoutAKnownPeakThereIsNoMfuAndHoursAreTheDefaultUnit()
    {
        var log = new InMemoryLogger();
        var monitor = new SpeedMonitor(windowSize: 1);
        new BareOptionsTrainer(With(TestSetup.Options("1ep", withEval: false), monitor, log, new CountedClassifier())).Fit();
        Assert.That(monitor.GpuFlopsAvailable, Is.EqualTo(0), "a CPU has no entry in the table");
        Assert.That(log.Data.Keys, Has.Member("throughput/flops_per_sec").And.No.Member("throughput/device/mfu"));
        Assert.That(log.Data["time/train"][^1].Value * 3600, Is.EqualTo(log.Data["time/train"][^1].Timestamp.TotalWallClock.TotalSeconds).Within(1e-9));
    }

    [TestCase("NVIDIA H100 80GB HBM3", "amp_bf16", 989.5e12)]
    [TestCase("NVIDIA H100 PCIe", "fp32", 51e12)]
    [TestCase("NVIDIA H200", "fp32", 67e12)]
    [TestCase("NVIDIA A100-SXM4-40GB", "amp_bf16", 312e12)]
    [TestCase("Tesla T4", "amp_fp16", 65e12)]
    public void PeakFlopsFollowComposersTable(string device, string precision, double expected) =>
        Assert.That(PeakFlops.For(device, precision), Is.EqualTo(expected));

    [Test]
    public void PeakFlopsAreUnknownForOtherDevicesAndPrecisions()
    {
        Assert.That(PeakFlops.For("AMD Instinct MI300X", "fp32"), Is.Null);
        Assert.That(PeakFlops.For("Tesla V100-SXM2-16GB", "amp_bf16"), Is.Null, "V100 has no bfloat16");
    }
}
