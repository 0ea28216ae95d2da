using Composer.Callbacks;
using Composer.Checkpoints;
using Composer.Core;
using Composer.Data;
using Composer.Datasets;
using Composer.Loggers;
using Composer.Metrics;
using Composer.Models;
using Composer.Optim;
using Composer.Tests.Checkpoints;
using Composer.Tests.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Callbacks;

[Trainer(typeof(ActivationMonitor))]
public partial class ActivationTrainer;

[Trainer(typeof(ImageVisualizer))]
public partial class ImageTrainer;

[Trainer(typeof(FreeOutputs), typeof(OutputsAfterBackward))]
public partial class FreeingTrainer;

[Trainer(typeof(OutputsAfterBackward))]
public partial class KeepingTrainer;

/// <summary>Records how many values the outputs hold during the backward pass.</summary>
public sealed class OutputsAfterBackward : Callback
{
    public List<long> Sizes { get; } = [];

    [OnEvent(Event.AfterBackward)]
    public void Record(State state) => Sizes.Add(state.Outputs.numel());
}

/// <summary>The monitors and run-control callbacks on short runs, each value against its definition.</summary>
public class MonitorTests : FolderTests
{
    private static TrainerOptions Fixed(string duration, IReadOnlyList<Callback>? callbacks = null, IReadOnlyList<LoggerDestination>? loggers = null,
        nn.Module<Tensor, Tensor>? module = null, double lr = 0.0, int logInterval = 1)
    {
        torch.manual_seed(3);
        var model = new ComposerClassifier(module ?? nn.Sequential(("fc1", nn.Linear(4, 8)), ("act", nn.ReLU()), ("fc2", nn.Linear(8, 3))), numClasses: 3);
        return new TrainerOptions
        {
            Model = model,
            TrainDataloader = new DataLoader(new SyntheticBatchPairDataset(12, [4], numClasses: 3, seed: 1), batchSize: 4),
            EvalDataloader = new DataLoader(new SyntheticBatchPairDataset(8, [4], numClasses: 3, seed: 2), batchSize: 4),
            MaxDuration = Time.Parse(duration),
            Optimizer = optim.SGD(model.parameters(), lr),
            Seed = 3,
            LogInterval = logInterval,
            Callbacks = callbacks,
            Loggers = loggers,
        };
    }

    private static double[] Row(Tensor t) => t.to_type(ScalarType.Float64).data<double>().ToArray();

    // The four statistics over the last axis of [rows, width] values, averaged over rows, in doubles.
    private static (double Max, double Average, double L2, double Kurtosis) Statistics(Tensor value)
    {
        double[] all = Row(value);
        int width = (int)value.shape[^1], rows = all.Length / width;
        double max = 0, l2 = 0, kurtosis = 0;
        for (int r = 0; r < rows; r++)
        {
            double[] row = all.Skip(r * width).Take(width).ToArray();
            double mean = row.Average();
            max += row.Max() / rows;
            l2 += Math.Sqrt(row.Sum(x => x * x)) / rows;
            kurtosis += row.Average(x => Math.Pow(x - mean, 4)) / Math.Pow(row.Average(x => Math.Pow(x - mean, 2)), 2) / rows;
        }
        return (max, all.Average(), l2, kurtosis);
    }

    [Test]
    public void ActivationMonitorLogsEachLayersStatisticsAtTheIntervalAndNothingBetween()
    {
        var log = new InMemoryLogger();
        var monitor = new ActivationMonitor("2ba", ignoreModuleTypes: ["act"]);
        var options = Fixed("6ba", loggers: [log]);
        var trainer = new ActivationTrainer(monitor, options);
        trainer.Fit();

        Assert.That(log.Data["activations/max/module.fc1_output.0"].Select(v => v.Timestamp.Batch), Is.EqualTo(new long[] { 0, 2, 4 }),
            "hooked at batches 0, 2 and 4 of 6 (the count of finished batches)");
        Assert.That(log.Data.Keys.Where(k => k.StartsWith("activations/", StringComparison.Ordinal)).Select(k => k.Split('/')[2]).Distinct(),
            Is.EquivalentTo(new[] { "module.fc1_input.0", "module.fc1_output.0", "module.fc2_input.0", "module.fc2_output.0", "module_input.0", "module_output.0" }),
            "every tensor layer but the ignored activation; the model itself takes a batch");

        // The learning rate is 0 and the data unshuffled: batch 2's activations are recomputed from its inputs.
        Batch batch = options.TrainDataloader.Skip(2).First();
        var sequential = (TorchSharp.Modules.Sequential)options.Model.named_children().Single().module;
        using var scope = NewDisposeScope();
        Tensor hidden = ((nn.Module<Tensor, Tensor>)sequential[0]).call(batch.Inputs);
        Tensor output = ((nn.Module<Tensor, Tensor>)sequential[2]).call(((nn.Module<Tensor, Tensor>)sequential[1]).call(hidden));
        foreach ((string name, Tensor value) in new[] { ("module.fc1_input.0", batch.Inputs), ("module.fc1_output.0", hidden), ("module.fc2_output.0", output) })
        {
            var expected = Statistics(value);
            double Logged(string statistic) => log.Data[$"activations/{statistic}/{name}"].Single(v => v.Timestamp.Batch == 2).Value;
            Assert.That(Logged("max"), Is.EqualTo(expected.Max).Within(1e-5), name);
            Assert.That(Logged("average"), Is.EqualTo(expected.Average).Within(1e-5), name);
            Assert.That(Logged("l2_norm"), Is.EqualTo(expected.L2).Within(1e-5), name);
            Assert.That(Logged("kurtosis"), Is.EqualTo(expected.Kurtosis).Within(1e-4), name);
        }

        // Between intervals the monitors' handlers allocate nothing: batch 6 is not due at a 4-batch interval, and the
        // system monitor's first reading is taken before counting.
        var activations = new ActivationMonitor("4ba");
        var optimizerMonitor = new OptimizerMonitor(batchLogInterval: 4);
        var images = new ImageVisualizer("4ba");
        var system = new SystemMetricsMonitor(interval: 1000);
        system.AtBatch(trainer.State, trainer.Logger);
        void Between()
        {
            activations.Attach(trainer.State, trainer.Logger);
            activations.Detach(trainer.State);
            optimizerMonitor.LogNorms(trainer.State, trainer.Logger);
            images.BeforeForward(trainer.State, trainer.Logger);
            system.AtBatch(trainer.State, trainer.Logger);
        }
        Between();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) Between();
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [Test]
    public void OptimizerMonitorLogsGradientNormsAtItsIntervalAndTheirGlobalNorm()
    {
        var log = new InMemoryLogger();
        var grads = new Dictionary<(long, string), double>();
        var capture = new CaptureGrads(grads);
        var trainer = new BareOptionsTrainer(Fixed("6ba", callbacks: [new OptimizerMonitor(batchLogInterval: 2), capture], loggers: [log], lr: 0.1));
        trainer.Fit();
        Assert.That(log.Data["l2_norm/grad/global"].Select(v => v.Timestamp.Batch), Is.EqualTo(new long[] { 2, 4, 6 }));
        foreach ((Timestamp at, double global) in log.Data["l2_norm/grad/global"])
        {
            var perParameter = log.Data.Where(e => e.Key.StartsWith("l2_norm/grad/module.", StringComparison.Ordinal))
                .ToDictionary(e => e.Key["l2_norm/grad/".Length..], e => e.Value.Single(v => v.Timestamp.Batch == at.Batch).Value);
            Assert.That(perParameter.Keys, Is.EquivalentTo(new[] { "module.fc1.weight", "module.fc1.bias", "module.fc2.weight", "module.fc2.bias" }));
            foreach ((string name, double norm) in perParameter)
                Assert.That(norm, Is.EqualTo(grads[(at.Batch, name)]).Within(1e-5), $"{name} at batch {at.Batch}");
            Assert.That(global, Is.EqualTo(Math.Sqrt(perParameter.Values.Sum(n => n * n))).Within(1e-5));
        }
        Assert.That(log.Data.Keys, Has.None.StartsWith("l2_norm/moment"), "SGD reports no moments");
    }

    private sealed class CaptureGrads(Dictionary<(long, string), double> grads) : Callback
    {
        [OnEvent(Event.BatchEnd)]
        public void Capture(State state)
        {
            foreach ((string name, var p) in state.Model.named_parameters())
                using (Tensor g = p.grad!) grads[(state.Timestamp.Batch, name)] = g.norm().item<float>();
        }
    }

    [Test]
    public void DecoupledAdamWReportsComposersNormsOfItsMomentsParameterAndUpdate()
    {
        double[] start = [0.5, -1.0, 2.0], g1 = [0.1, 0.2, -0.3], g2 = [-0.4, 0.05, 0.6];
        const double lr = 0.01, b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.1;
        var parameter = new TorchSharp.Modules.Parameter(tensor(start, dtype: float64));
        var optimizer = new DecoupledAdamW([parameter], lr, b1, b2, eps, wd);
        double[] p = [.. start], m = new double[3], v = new double[3];
        foreach ((double[] g, int t) in new[] { (g1, 1), (g2, 2) })
        {
            parameter.grad = tensor(g, dtype: float64);
            optimizer.step();
            for (int i = 0; i < 3; i++)
            {
                p[i] *= 1 - wd;
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                p[i] -= lr / (1 - Math.Pow(b1, t)) * m[i] / (Math.Sqrt(v[i]) / Math.Sqrt(1 - Math.Pow(b2, t)) + eps);
            }
        }
        var metrics = new Dictionary<string, Tensor>();
        optimizer.ReportParameterMetrics(parameter, "w", metrics);
        static double Norm(IEnumerable<double> x) => Math.Sqrt(x.Sum(e => e * e));
        double[] update = [.. Enumerable.Range(0, 3).Select(i => lr / (1 - b1 * b1) * m[i] / (Math.Sqrt(v[i]) / Math.Sqrt(1 - b2 * b2) + eps) - wd * p[i])];
        Assert.That(metrics["l2_norm/moment/w"].item<double>(), Is.EqualTo(Norm(m)).Within(1e-12));
        Assert.That(metrics["l2_norm/second_moment_sqrt/w"].item<double>(), Is.EqualTo(Norm(v.Select(Math.Sqrt))).Within(1e-12));
        Assert.That(metrics["l2_norm/param/w"].item<double>(), Is.EqualTo(Norm(p)).Within(1e-12));
        Assert.That(metrics["l2_norm/update/w"].item<double>(), Is.EqualTo(Norm(update)).Within(1e-12));
        Assert.That(metrics["l2_norm/grad/w"].item<double>(), Is.EqualTo(Norm(g2)).Within(1e-12));
    }

    [Test]
    public void WithDecoupledAdamWTheMonitorLogsEveryKindWithAGlobalTotal()
    {
        var log = new InMemoryLogger();
        var options = Fixed("2ba", callbacks: [new OptimizerMonitor(batchLogInterval: 1)], loggers: [log]);
        var trainer = new BareOptionsTrainer(options with { Optimizer = new DecoupledAdamW(options.Model.parameters(), lr: 0.01) });
        trainer.Fit();
        foreach (string kind in new[] { "grad", "moment", "second_moment_sqrt", "param", "update" })
        {
            Assert.That(log.Data.Keys, Has.Member($"l2_norm/{kind}/global").And.Member($"l2_norm/{kind}/module.fc1.weight"));
            double total = Math.Sqrt(log.Data.Where(e => e.Key.StartsWith($"l2_norm/{kind}/module.", StringComparison.Ordinal)).Sum(e => e.Value[^1].Value * e.Value[^1].Value));
            Assert.That(log.Data[$"l2_norm/{kind}/global"][^1].Value, Is.EqualTo(total).Within(1e-5));
        }
    }

    [Test]
    public void ImageVisualizerLogsTheFirstImagesOfDueBatchesAndOfEachEvaluation()
    {
        var images = new RecordingDestination();
        torch.manual_seed(1);
        var model = new ComposerClassifier(nn.Sequential(nn.Flatten(), nn.Linear(36, 3)), numClasses: 3);
        var train = new SyntheticBatchPairDataset(12, [1, 6, 6], numClasses: 3, seed: 1);
        var trainer = new ImageTrainer(new ImageVisualizer("2ba", numImages: 3), new TrainerOptions
        {
            Model = model,
            TrainDataloader = new DataLoader(train, batchSize: 4),
            EvalDataloader = new DataLoader(new SyntheticBatchPairDataset(8, [1, 6, 6], numClasses: 3, seed: 2), batchSize: 4),
            MaxDuration = Time.Parse("2ep"),
            Optimizer = optim.SGD(model.parameters(), 0.0),
            Loggers = [images],
        });
        trainer.Fit();
        Assert.That(images.Images.Where(i => i.Name == "Images/Train").Select(i => i.Batch), Is.EqualTo(new long[] { 0, 2, 4 }));
        Assert.That(images.Images.Where(i => i.Name == "Images/Eval").Select(i => i.Batch), Is.EqualTo(new long[] { 3, 6 }), "the first batch of each evaluation");
        Assert.That(images.Images.Select(i => i.Images.Count), Is.All.EqualTo(3));

        // Batch 2's first image, stretched from its own range to [0, 1], as 8-bit gray pixels.
        Tensor first = new DataLoader(train, batchSize: 4).Skip(2).First().Inputs[0];
        double low = first.min().item<float>(), high = first.max().item<float>();
        byte[] expected = [.. Row(first).Select(x => (byte)Math.Round((x - low) / (high - low) * 255, MidpointRounding.ToEven))];
        LoggedImage logged = images.Images.Single(i => i.Name == "Images/Train" && i.Batch == 2).Images[0];
        Assert.That((logged.Channels, logged.Height, logged.Width), Is.EqualTo((1, 6, 6)));
        Assert.That(logged.Pixels.Zip(expected).Max(p => Math.Abs(p.First - p.Second)), Is.LessThanOrEqualTo(1));
    }

    /// <summary>A one-layer per-pixel classifier: outputs [N, 3, H, W] against targets [N, H, W].</summary>
    private sealed class PixelClassifier : ComposerModel
    {
        private readonly TorchSharp.Modules.Conv2d _conv = nn.Conv2d(1, 3, 1);

        public PixelClassifier() : base(nameof(PixelClassifier)) => RegisterComponents();

        public override Tensor Forward(Batch batch) => _conv.call(batch.Inputs);

        public override Tensor Loss(Tensor outputs, Batch batch) => nn.functional.cross_entropy(outputs, batch.Targets, ignore_index: -1);

        public override IReadOnlyDictionary<string, Metric> CreateMetrics(bool isTrain) => new Dictionary<string, Metric>();
    }

    [Test]
    public void InSegmentationModeThePredictedAndTrueMasksGoWithTheImages()
    {
        var images = new RecordingDestination();
        torch.manual_seed(2);
        var model = new PixelClassifier();
        Tensor inputs = rand(4, 1, 5, 5), targets = randint(0, 3, [4, 5, 5]);
        targets[0, 0, 0] = tensor(-1L);
        var trainer = new ImageTrainer(new ImageVisualizer("1ba", mode: "segmentation", numImages: 2), new TrainerOptions
        {
            Model = model,
            TrainDataloader = new DataLoader(new TensorDataset(inputs, targets), batchSize: 4),
            MaxDuration = Time.Parse("1ba"),
            Optimizer = optim.SGD(model.parameters(), 0.0),
            Loggers = [images],
        });
        trainer.Fit();
        Assert.That(images.Images.Select(i => i.Name), Is.EqualTo(new[] { "Images/Train", "Images/Train/prediction", "Images/Train/ground_truth" }));
        // Class k is gray k/3; the ignored pixel (-1) is white, as Composer maps it past the last class.
        byte[] truth = images.Images[2].Images[0].Pixels;
        Assert.That(truth[0], Is.EqualTo(255));
        long[] classes = targets[0].data<long>().ToArray();
        for (int i = 1; i < 25; i++) Assert.That(truth[i], Is.EqualTo((byte)Math.Round(classes[i] / 3.0 * 255, MidpointRounding.ToEven)));
        using Tensor predicted = model.Forward(new Batch(inputs, targets)).argmax(1);
        Assert.That(images.Images[1].Images[1].Pixels, Is.EqualTo(predicted[1].data<long>().ToArray().Select(c => (byte)Math.Round(c / 3.0 * 255, MidpointRounding.ToEven))));
    }

    [Test]
    public void LoadCheckpointLoadsTheWeightsAtItsEventExceptTheIgnoredOnesAndAtAnInterval()
    {
        string folder = Folder();
        var source = Fixed("3ba", lr: 0.5, callbacks: [new CheckpointSaver(folder, saveInterval: "3ba")]);
        new BareOptionsTrainer(source).Fit();
        string path = Directory.GetFiles(folder, "ep*-ba3.ckpt").Single();

        var load = new LoadCheckpoint(path, Event.FitStart, ignoreKeys: ["module.fc2.bias"]);
        var options = Fixed("1ba", callbacks: [load]);
        Tensor biasBefore = options.Model.state_dict()["module.fc2.bias"].clone();
        new BareOptionsTrainer(options).Fit();
        Assert.That(load.Loads, Is.EqualTo(1));
        var saved = source.Model.state_dict();
        var now = options.Model.state_dict();
        Assert.That(now["module.fc1.weight"].equal(saved["module.fc1.weight"]).all().item<bool>(), "loaded (the learning rate is 0)");
        Assert.That(now["module.fc2.bias"].equal(biasBefore).all().item<bool>(), "ignored: as it was");
        Assert.That(now["module.fc2.bias"].equal(saved["module.fc2.bias"]).all().item<bool>(), Is.False);

        var every = new LoadCheckpoint(path, interval: "2ba");
        new BareOptionsTrainer(Fixed("6ba", callbacks: [every])).Fit();
        Assert.That(every.Loads, Is.EqualTo(3), "after batches 2, 4 and 6");
        Assert.That(Assert.Throws<ArgumentException>(() => new LoadCheckpoint(path, Event.AfterForward))!.Message, Does.Contain("inside a batch"));
    }

    [Test]
    public void FreeOutputsEmptiesTheOutputsBeforeBackwardAndChangesNoWeight()
    {
        var kept = new OutputsAfterBackward();
        var keeping = new KeepingTrainer(kept, Fixed("3ba", lr: 0.5));
        keeping.Fit();
        var freed = new OutputsAfterBackward();
        var freeing = new FreeingTrainer(new FreeOutputs(), freed, Fixed("3ba", lr: 0.5));
        freeing.Fit();
        Assert.That(kept.Sizes, Is.All.EqualTo(12), "4 samples x 3 classes");
        Assert.That(freed.Sizes, Is.All.EqualTo(0));
        foreach ((string name, Tensor weight) in keeping.State.Model.state_dict())
            Assert.That(freeing.State.Model.state_dict()[name].equal(weight).all().item<bool>(), name);
    }

    [Test]
    public void MemorySnapshotWritesWhatTheProcessCanReportAfterTheChosenBatch()
    {
        string folder = Folder();
        var files = new RecordingDestination();
        var snapshot = new MemorySnapshot(skipBatches: 1, interval: "2ba", folder: Path.Combine(folder, "{run_name}"));
        new BareOptionsTrainer(Fixed("6ba", callbacks: [snapshot], loggers: [files]) with { RunName = "snap" }).Fit();
        Assert.That(snapshot.SnapshotPath, Is.EqualTo(Path.Combine(folder, "snap", "rank0.3.memory_snapshot.json")), "batch 1 skipped, then 2 more");
        var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(snapshot.SnapshotPath!)).RootElement;
        Assert.That(json.GetProperty("rss_bytes").GetInt64(), Is.GreaterThan(10 << 20));
        Assert.That(json.GetProperty("peak_rss_bytes").GetInt64(), Is.GreaterThanOrEqualTo(json.GetProperty("rss_bytes").GetInt64()));
        Assert.That(json.GetProperty("device_history").GetString(), Does.StartWith("not available"));
        Assert.That(files.Files.Single().RemoteName, Is.EqualTo("snap/torch_memory_traces/rank0.3.memory_snapshot.json"));
    }

    /// <summary>A model whose forward pass asks for 128 TiB at its second batch.</summary>
    private sealed class Greedy : ComposerModel
    {
        private readonly TorchSharp.Modules.Linear _linear = nn.Linear(4, 3);
        private int _calls;

        public Greedy() : base(nameof(Greedy)) => RegisterComponents();

        public override Tensor Forward(Batch batch) => ++_calls == 2 ? empty(1L << 45) : _linear.call(batch.Inputs);

        public override Tensor Loss(Tensor outputs, Batch batch) => nn.functional.cross_entropy(outputs, batch.Targets);

        public override IReadOnlyDictionary<string, Metric> CreateMetrics(bool isTrain) => new Dictionary<string, Metric>();
    }

    [Test]
    public void OOMObserverWritesASnapshotWithTheAllocatorsMessageWhenMemoryRunsOut()
    {
        string folder = Folder();
        var observer = new OOMObserver(folder: folder);
        var model = new Greedy();
        var trainer = new BareOptionsTrainer(new TrainerOptions
        {
            Model = model,
            TrainDataloader = new DataLoader(new SyntheticBatchPairDataset(8, [4], numClasses: 3), batchSize: 4),
            MaxDuration = Time.Parse("2ba"),
            Optimizer = optim.SGD(model.parameters(), 0.1),
            Callbacks = [observer],
        });
        var error = Assert.Catch(() => trainer.Fit());
        Assert.That(OOMObserver.IsOutOfMemory(error!), error!.Message);
        Assert.That(observer.SnapshotPath, Is.EqualTo(Path.Combine(folder, "rank0_oom.json")));
        var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(observer.SnapshotPath!)).RootElement;
        Assert.That(json.GetProperty("error").GetString(), Does.Contain("allocate"));
        Assert.That(json.GetProperty("batch").GetInt64(), Is.EqualTo(1));
        Assert.That(OOMObserver.IsOutOfMemory(new InvalidOperationException("shape mismatch")), Is.False);
    }
}
