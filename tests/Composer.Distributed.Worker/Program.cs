using System.Diagnostics;
using System.Text.Json;
using Composer;
using Composer.Algorithms;
using Composer.Callbacks;
using Composer.Core;
using Composer.Data;
using Composer.Datasets;
using Composer.Distributed;
using Composer.Models;
using Composer.Utils;
using TorchSharp;
using static TorchSharp.torch;

// Usage: Composer.Distributed.Worker <scenario> <output folder> [key=value ...]
// Each rank writes <output folder>/rank<r>.json with what the scenario measured.
string scenario = args[0];
string output = args[1];
Dictionary<string, string> options = args.Skip(2).Select(a => a.Split('=', 2)).ToDictionary(a => a[0], a => a[1]);
string Option(string key, string fallback) => options.GetValueOrDefault(key, fallback);
torch.set_num_threads(int.Parse(Option("threads", "1")));
ICommunicator world = Communicator.World;
Directory.CreateDirectory(output);

var result = scenario switch
{
    "collectives" => Scenarios.Collectives(world),
    "train" => Scenarios.Train(world, output, Option),
    "throughput" => Scenarios.Throughput(world, Option),
    "logs" => Scenarios.Logs(Option),
    "metrics" => Scenarios.Metrics(world),
    "best" => Scenarios.Best(Option("folder", output)),
    "remote" => Scenarios.Remote(Option),
    "trackers" => Scenarios.Trackers(world, Option("folder", output)),
    _ => throw new ArgumentException($"Unknown scenario {scenario}."),
};
result["rank"] = world.Rank;
result["worldSize"] = world.WorldSize;
File.WriteAllText(Path.Combine(output, $"rank{world.Rank}.json"), JsonSerializer.Serialize(result));
world.Barrier();

internal static class Scenarios
{
    // The scenarios' model: 8 features to 4 classes (DistributedTests builds the same to load their checkpoints).
    private static nn.Module<Tensor, Tensor> Mlp() => nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4));

    // BestCheckpoints under mpirun: ranks decide alike from the synchronized metric, rank 0 writes, all end with the best weights.
    public static Dictionary<string, object> Best(string output)
    {
        torch.manual_seed(3);
        var model = new ComposerClassifier(Mlp(), numClasses: 4);
        var best = new BestCheckpoints(Path.Combine(output, "best"), keep: 2, loadBestAtEnd: true);
        new BareWorkerTrainer(new TrainerOptions
        {
            Model = model,
            TrainDataloader = new DataLoader(new SyntheticBatchPairDataset(256, [8], numClasses: 4, seed: 1), 16, shuffle: true),
            EvalDataloader = new DataLoader(new SyntheticBatchPairDataset(101, [8], numClasses: 4, seed: 2), batchSize: 16),
            MaxDuration = Time.Parse("6ep"),
            EvalInterval = Time.Parse("1ep"),
            OptimizerFactory = parameters => optim.SGD(parameters, 0.5, momentum: 0.9),
            Seed = 17,
            Callbacks = [best],
        }).Fit();
        return new()
        {
            ["best"] = best.Best.Select(b => $"{b.File}={b.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}").ToArray(),
            ["weights"] = model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray(),
        };
    }

    // Each metric over this rank's share of fixed data, synchronized, against the same metric over all of it.
    public static Dictionary<string, object> Metrics(ICommunicator world)
    {
        torch.manual_seed(11);
        Tensor binary = randn(23, 2), binaryTargets = randint(0, 2, [23]);
        Tensor classes = randn(23, 4), classTargets = randint(0, 4, [23]);
        Tensor tokens = randn(23, 5, 6), tokenTargets = randint(0, 6, [23, 5]);
        tokenTargets[0, 2] = -100;
        Tensor pixels = randn(23, 3, 2, 2), pixelTargets = randint(-1, 3, [23, 2, 2]);
        (string Name, Func<Composer.Metrics.Metric> Create, Tensor Outputs, Tensor Targets)[] metrics =
        [
            ("BinaryF1Score", () => new Composer.Metrics.BinaryF1Score(), binary, binaryTargets),
            ("BinaryAUROC", () => new Composer.Metrics.BinaryAUROC(), binary, binaryTargets),
            ("MulticlassF1Score", () => new Composer.Metrics.MulticlassF1Score(4), classes, classTargets),
            ("MatthewsCorrCoef", () => new Composer.Metrics.MatthewsCorrCoef(4), classes, classTargets),
            ("MulticlassAUROC", () => new Composer.Metrics.MulticlassAUROC(4), classes, classTargets),
            ("LanguageCrossEntropy", () => new Composer.Metrics.LanguageCrossEntropy(), tokens, tokenTargets),
            ("MaskedAccuracy", () => new Composer.Metrics.MaskedAccuracy(), tokens, tokenTargets),
            ("MIoU", () => new Composer.Metrics.MIoU(3), pixels, pixelTargets),
        ];
        // Unequal shares (12 and 11 samples with two ranks), so the list states are padded for the all-gather.
        Tensor mine = arange(world.Rank, 23, world.WorldSize, dtype: int64);
        var result = new Dictionary<string, object>();
        foreach (var (name, create, outputs, targets) in metrics)
        {
            using var shared = create();
            shared.Update(outputs.index_select(0, mine), targets.index_select(0, mine));
            shared.Synchronize(world);
            using var whole = create();
            whole.Update(outputs, targets);
            result[name] = new[] { shared.Compute(), whole.Compute() };
        }
        return result;
    }

    public static Dictionary<string, object> Collectives(ICommunicator world)
    {
        int r = world.Rank, w = world.WorldSize;
        var sum = tensor(new[] { r + 1.0f, 10f * (r + 1) });
        world.AllReduce(sum);
        var mean = tensor(new[] { (double)r });
        world.AllReduce(mean, ReduceOperation.Mean);
        var max = tensor(new long[] { r * 7 });
        world.AllReduce(max, ReduceOperation.Max);
        var broadcast = tensor(new[] { r == 0 ? 3.5f : -1f, r == 0 ? 4.5f : -1f });
        world.Broadcast(broadcast);
        var gathered = zeros(2 * w, float32);
        world.AllGather(tensor(new[] { (float)r, r + 0.5f }), gathered);
        var block = zeros(2, float32);
        world.ReduceScatter(arange(2 * w, dtype: float32).add(r), block);
        return new()
        {
            ["sum"] = sum.data<float>().ToArray(),
            ["mean"] = mean.item<double>(),
            ["max"] = max.item<long>(),
            ["broadcast"] = broadcast.data<float>().ToArray(),
            ["gathered"] = gathered.data<float>().ToArray(),
            ["block"] = block.data<float>().ToArray(),
        };
    }

    // An MLP on fixed synthetic data: no dropout, so ranks differ only in the data they see.
    public static Dictionary<string, object> Train(ICommunicator world, string output, Func<string, string, string> option)
    {
        int batchSize = int.Parse(option("batch", "32"));
        bool sharded = option("sharded", "false") == "true";
        string optimizerName = option("optimizer", "sgd");
        long? failRank = option("failRank", "") is { Length: > 0 } f ? long.Parse(f) : null;
        long failBatch = long.Parse(option("failBatch", "-1"));
        string? folder = option("checkpoints", "") is { Length: > 0 } c ? c : null;

        torch.manual_seed(3);
        // model=cnn: the 8 features as a 2-channel 2x2 image under a convolution, whose [16, 2, 2, 2] weight
        // channelsLast=true stores channels-last (its gradients and the optimizer's state follow).
        var model = new ComposerClassifier(option("model", "mlp") == "cnn"
            ? nn.Sequential(nn.Unflatten(1, [2, 2, 2]), nn.Conv2d(2, 16, 2), nn.ReLU(), nn.Flatten(), nn.Linear(16, 4))
            : Mlp(), numClasses: 4);
        if (option("channelsLast", "false") == "true") Functional.ApplyChannelsLast(model);
        var train = new SyntheticBatchPairDataset(512, [8], numClasses: 4, seed: 1);
        var eval = new SyntheticBatchPairDataset(203, [8], numClasses: 4, seed: 2);
        Func<IEnumerable<TorchSharp.Modules.Parameter>, optim.Optimizer> optimizer = optimizerName == "adam"
            ? parameters => optim.Adam(parameters, 0.01)
            : parameters => optim.SGD(parameters, 0.1, momentum: 0.9);
        var trainerOptions = new TrainerOptions
        {
            Model = model,
            TrainDataloader = new DataLoader(train, batchSize, shuffle: true),
            EvalDataloader = new DataLoader(eval, batchSize: 16),
            MaxDuration = Time.Parse(option("duration", "2ep")),
            EvalInterval = Time.Parse("1ep"),
            OptimizerFactory = optimizer,
            Seed = 17,
            ShardOptimizerState = sharded,
            Autoresume = folder is not null,
            Precision = option("precision", "fp32") == "amp_bf16" ? Precision.AmpBf16 : Precision.Fp32,
        };
        var failure = new Failure(failRank, failBatch);
        var stateBytes = new OptimizerStateSize();
        var saver = new CheckpointSaver(folder ?? Path.Combine(output, "checkpoints"), saveInterval: "4ba", overwrite: folder is null);
        FitResult fit;
        float[] average = [];
        if (option("wandb", "") is { Length: > 0 } wandbFolder)
        {
            var wandb = new Composer.Loggers.WandB.WandBLogger(project: "ddp",
                initKwargs: new Dictionary<string, object> { ["dir"] = wandbFolder, ["mode"] = "offline" });
            fit = new WandBWorkerTrainer(wandb, trainerOptions).Fit();
        }
        else if (option("sam", "false") == "true")
        {
            fit = new SamWorkerTrainer(new Sam(rho: 0.05), trainerOptions).Fit();
        }
        else
        {
            var trainer = new WorkerTrainer(new Ema("5ba"), failure, stateBytes, saver, trainerOptions);
            fit = trainer.Fit();
            average = trainer.Ema.Average.Values.SelectMany(t => t.cpu().data<float>().ToArray()).ToArray();
        }
        return new()
        {
            ["weights"] = model.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray()).ToArray(),
            ["average"] = average,
            ["accuracy"] = fit.Metric("eval", "Accuracy"),
            ["batches"] = fit.Timestamp.Batch,
            ["samples"] = fit.Timestamp.Sample,
            ["optimizerStateBytes"] = stateBytes.Bytes,
            ["shardOf"] = trainerOptions.TrainDataloader.ShardLength,
            ["channelsLast"] = model.parameters().Where(p => p.dim() == 4).Select(MemoryFormat.IsChannelsLast).ToArray(),
        };
    }

    // MLflow and the system monitor under several processes: one MLflow run (rank 0's), and the monitor's gathers at
    // the same training batches on every rank; 101 evaluation samples give the ranks unequal evaluation shards.
    public static Dictionary<string, object> Trackers(ICommunicator world, string folder)
    {
        torch.manual_seed(3);
        var model = new ComposerClassifier(Mlp(), numClasses: 4);
        using var mlflow = new Composer.Loggers.MLFlow.MLFlowLogger(experimentName: "ranks", trackingUri: Path.Combine(folder, "mlruns"));
        var log = new Composer.Loggers.InMemoryLogger();
        new BareWorkerTrainer(new TrainerOptions
        {
            Model = model,
            TrainDataloader = new DataLoader(new SyntheticBatchPairDataset(64, [8], numClasses: 4, seed: 1), 8, shuffle: true),
            EvalDataloader = new DataLoader(new SyntheticBatchPairDataset(101, [8], numClasses: 4, seed: 2), batchSize: 8),
            MaxDuration = Time.Parse("2ep"),
            EvalInterval = Time.Parse("1ep"),
            OptimizerFactory = parameters => optim.SGD(parameters, 0.1),
            Seed = 17,
            LogInterval = 1,
            Callbacks = [new SystemMetricsMonitor(interval: 1)],
            Loggers = [mlflow, log],
        }).Fit();
        return new()
        {
            ["runId"] = mlflow.RunId ?? "",
            ["cpuReadings"] = log.Data.TryGetValue("cpu_memory_total", out var readings) ? readings.Count : 0,
        };
    }

    // An autoresuming CheckpointSaver whose folder is an object store (uri=s3://... or azure://...; credentials from the
    // environment), writing locally to folder=; with killAt=n the process kills itself (SIGKILL) after batch n, once
    // the uploads queued before it are done (as in a run whose batches take longer than its uploads).
    public static Dictionary<string, object> Remote(Func<string, string, string> option)
    {
        long killAt = long.Parse(option("killAt", "-1"));
        torch.manual_seed(3);
        var model = new ComposerClassifier(nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 4)), numClasses: 4);
        var saver = new CheckpointSaver(option("uri", ""), saveInterval: "5ba", numCheckpointsToKeep: 2, localFolder: option("folder", ""));
        var trainer = new BareWorkerTrainer(new TrainerOptions
        {
            Model = model,
            TrainDataloader = new DataLoader(new SyntheticBatchPairDataset(256, [8], numClasses: 4, seed: 1), 8, shuffle: true),
            MaxDuration = Time.Parse("2ep"),
            OptimizerFactory = parameters => optim.SGD(parameters, 0.1, momentum: 0.9),
            Seed = 17,
            RunName = "remote",
            Autoresume = true,
            Callbacks = [saver, new Kill(killAt, () => saver.WaitForUploads(null!))],
        });
        long resumedAt = trainer.State.Timestamp.Batch;
        FitResult fit = trainer.Fit();
        byte[] bits = model.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray()).SelectMany(BitConverter.GetBytes).ToArray();
        return new()
        {
            ["batches"] = fit.Timestamp.Batch,
            ["resumedAt"] = resumedAt,
            ["weights"] = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bits)),
        };
    }

    // Every file-writing logger beside an autoresuming CheckpointSaver (every 10 batches) in one folder; with
    // killAt=n the process kills itself (SIGKILL, as kill -9) after batch n, with no chance to flush anything.
    public static Dictionary<string, object> Logs(Func<string, string, string> option)
    {
        string folder = option("folder", "");
        long killAt = long.Parse(option("killAt", "-1"));
        torch.manual_seed(3);
        var model = new ComposerClassifier(nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 4)), numClasses: 4);
        // Given at run time, with state only in [Checkpointed] fields: it must survive the kills too.
        var tally = new LossTally();
        var options = new TrainerOptions
        {
            Model = model,
            TrainDataloader = new DataLoader(new SyntheticBatchPairDataset(512, [8], numClasses: 4, seed: 1), 8, shuffle: true),
            EvalDataloader = new DataLoader(new SyntheticBatchPairDataset(64, [8], numClasses: 4, seed: 2), batchSize: 16),
            MaxDuration = Time.Parse("2ep"),
            EvalInterval = Time.Parse("25ba"),
            OptimizerFactory = parameters => optim.SGD(parameters, 0.1, momentum: 0.9),
            Seed = 17,
            // Not a divisor of the save interval: checkpoints also find loss values still waiting to be read.
            LogInterval = 4,
            RunName = "crash",
            Autoresume = true,
            Callbacks = [tally],
        };
        var wandb = new Composer.Loggers.WandB.WandBLogger(project: "crash",
            initKwargs: new Dictionary<string, object> { ["dir"] = folder, ["mode"] = "offline" });
        using var file = new Composer.Loggers.FileLogger(Path.Combine(folder, "metrics.jsonl"));
        using var tensorboard = new Composer.Loggers.TensorBoardLogger(Path.Combine(folder, "tb"));
        var saver = new CheckpointSaver(Path.Combine(folder, "checkpoints"), saveInterval: "10ba", numCheckpointsToKeep: 2);
        FitResult fit = new LogsWorkerTrainer(wandb, file, tensorboard, saver, new Kill(killAt), options).Fit();
        return new()
        {
            ["batches"] = fit.Timestamp.Batch,
            ["tallyBatches"] = tally.Batches,
            ["tallySumBits"] = BitConverter.SingleToInt32Bits(tally.Sum),
        };
    }

    // Composer's MNIST CNN at batch 64 per rank: samples per second over all ranks, and time in collectives.
    public static Dictionary<string, object> Throughput(ICommunicator world, Func<string, string, string> option)
    {
        int batches = int.Parse(option("batches", "60"));
        (TensorDataset train, _) = Mnist.Load();
        torch.manual_seed(1);
        var model = new ComposerClassifier(MnistModel.Cnn(), numClasses: 10);
        var trainer = new ThroughputTrainer(new TrainerOptions
        {
            Model = model,
            TrainDataloader = new DataLoader(train, 64, shuffle: true),
            MaxDuration = Time.FromBatches(5),
            Optimizer = optim.Adam(model.parameters(), 1e-3),
            Seed = 1,
        });
        trainer.Fit();  // warm-up
        world.Barrier();
        TimeSpan before = world.TimeInCollectives;
        var clock = Stopwatch.StartNew();
        trainer.State.MaxDuration = Time.FromBatches(5 + batches);
        trainer.Fit();
        world.Barrier();
        clock.Stop();
        double communication = (world.TimeInCollectives - before).TotalMilliseconds / batches;
        return new()
        {
            ["samplesPerSecond"] = batches * 64.0 * world.WorldSize / clock.Elapsed.TotalSeconds,
            ["millisecondsPerBatch"] = clock.Elapsed.TotalMilliseconds / batches,
            ["communicationMillisecondsPerBatch"] = communication,
        };
    }
}

/// <summary>Throws on one rank inside a chosen batch, or on every rank when no rank is named.</summary>
public sealed class Failure(long? rank, long batch) : Callback
{
    [OnEvent(Event.AfterForward)]
    public void FailIn(State state)
    {
        if (state.Timestamp.Batch + 1 == batch && (rank is null || rank == state.Rank))
            throw new InvalidOperationException($"simulated failure in batch {batch} on rank {state.Rank}");
    }
}

/// <summary>Counts batches and sums the loss, keeping both only in [Checkpointed] fields.</summary>
public sealed partial class LossTally : Callback
{
    [Checkpointed] private long _batches;
    [Checkpointed] private Tensor? _sum;

    public long Batches => _batches;
    public float Sum => _sum?.item<float>() ?? float.NaN;

    [OnEvent(Event.BatchEnd)]
    public void Add(State state)
    {
        _batches++;
        Tensor loss = state.Loss.detach();
        _sum = (_sum is null ? loss.clone() : _sum + loss).DetachFromDisposeScope();
    }
}

/// <summary>Kills this process with SIGKILL after batch <paramref name="batch"/>: nothing is flushed or disposed.</summary>
public sealed class Kill(long batch, Action? before = null) : Callback
{
    [OnEvent(Event.BatchEnd)]
    public void KillAfter(State state)
    {
        if (state.Timestamp.Batch != batch) return;
        before?.Invoke();
        Process.GetCurrentProcess().Kill();
        Thread.Sleep(Timeout.Infinite);
    }
}

/// <summary>Measures the optimizer's state at the end of training: the bytes of the tensors this rank keeps.</summary>
public sealed class OptimizerStateSize : Callback
{
    public long Bytes { get; private set; }

    // TorchSharp's optimizer states (Adam's exp_avg and exp_avg_sq, ...) keep their tensors in public fields.
    [OnEvent(Event.FitEnd)]
    public void Measure(State state) => Bytes = ((TorchSharp.Modules.OptimizerHelper)state.Optimizer).state_dict().State
        .SelectMany(s => s.GetType().GetFields().Select(f => f.GetValue(s)).OfType<Tensor>())
        .Sum(t => t.NumberOfElements * t.ElementSize);
}

[Trainer(typeof(Ema), typeof(Failure), typeof(OptimizerStateSize), typeof(CheckpointSaver))]
public partial class WorkerTrainer
{
    public Ema Ema => _ema;
}

[Trainer]
public partial class ThroughputTrainer;

[Trainer(typeof(Sam))]
public partial class SamWorkerTrainer;

[Trainer(typeof(Composer.Loggers.WandB.WandBLogger))]
public partial class WandBWorkerTrainer;

[Trainer(typeof(Composer.Loggers.WandB.WandBLogger), typeof(Composer.Loggers.FileLogger), typeof(Composer.Loggers.TensorBoardLogger),
    typeof(CheckpointSaver), typeof(Kill))]
public partial class LogsWorkerTrainer;

[Trainer]
public partial class BareWorkerTrainer;
