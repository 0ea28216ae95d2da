// Time to accuracy on real MNIST digits: Composer's small CNN, trained by a generated Trainer per recipe,
// until the test accuracy reaches a target. Run with --help for the flags.
using System.Diagnostics;
using System.Globalization;
using Composer;
using Composer.Algorithms;
using Composer.Callbacks;
using Composer.Core;
using Composer.Data;
using Composer.Datasets;
using Composer.Models;
using Composer.Optim;
using MnistSample;
using Composer.Distributed;
using Composer.Loggers.MLFlow;
using Composer.Loggers.WandB;
using Spectre.Console;
using System.CommandLine;
using TorchSharp;
using static TorchSharp.torch;

ProgressiveResizing FastResizing() => new(initialScale: 0.5, delayFraction: 0.25, finetuneFraction: 0.35);
RecipeSchedule fast = RecipeSchedule.Fast;
var recipes = new Dictionary<string, Recipe>(StringComparer.Ordinal)
{
    ["baseline"] = new(o => new BaselineTrainer(o)),
    ["label-smoothing"] = new(o => new LabelSmoothingTrainer(new LabelSmoothing(0.1), o)),
    ["ema"] = new(o => new EmaTrainer(new Ema(halfLife: "50ba"), o)),
    ["mixup"] = new(o => new MixUpTrainer(new MixUp(alpha: 0.2), o)),
    ["label-smoothing+ema"] = new(o => new LabelSmoothingEmaTrainer(new LabelSmoothing(0.1), new Ema(halfLife: "50ba"), o)),
    ["composed"] = new(o => new ComposedTrainer(new SelectiveBackprop(start: 0.3, end: 0.8, keep: 0.5),
        new ProgressiveResizing(initialScale: 0.6, delayFraction: 0.2, finetuneFraction: 0.5), new CutOut(length: 0.25),
        new LabelSmoothing(0.1), new GradientClipping(ClippingType.Norm, 2.0), new Ema(halfLife: "50ba"), o)),
    // The fast recipe, built up one ingredient at a time (its ablation): each adds one to the one before it, and all
    // train with the recipe's own optimizer, schedule and budget.
    ["schedule"] = new(o => new BaselineTrainer(o), fast),
    ["schedule+ema"] = new(o => new EmaTrainer(new Ema(halfLife: "50ba"), o), fast),
    ["fast"] = new(o => new LabelSmoothingEmaTrainer(new LabelSmoothing(0.1), new Ema(halfLife: "50ba"), o), fast),
    ["fast+resizing"] = new(o => new FastResizingTrainer(FastResizing(), new LabelSmoothing(0.1), new Ema(halfLife: "50ba"), o), fast),
    ["fast+resizing+selective"] = new(o => new FastResizingSelectiveTrainer(new SelectiveBackprop(start: 0.2, end: 0.7, keep: 0.5),
        FastResizing(), new LabelSmoothing(0.1), new Ema(halfLife: "50ba"), o), fast),
    // On ResNet (see ModelFor): anti-aliased strides, channel attention, stochastic depth, ghost batch norm.
    ["surgery"] = new(o => new SurgeryTrainer(new BlurPool(), new SqueezeExcite(latentChannels: 0.25, minChannels: 32),
        new StochasticDepth(dropRate: 0.1), new GhostBatchNorm(ghostBatchSize: 16), o)),
};

// --help prints the flags; a flag that does not parse is reported with them, and nothing trains.
Options? chosen = null;
RootCommand command = Options.Command(recipes.Keys);
command.SetAction(parsed => chosen = Options.From(parsed));
int parseExit = command.Parse(args).Invoke();
if (chosen is not { } options) return parseExit;

// Under mpirun -np N the same program trains on N processes: the cores are shared out, --batch-size stays the global
// batch (each rank takes its share), and rank 0 alone prints.
ICommunicator world = Communicator.World;
if (options.BatchSize % world.WorldSize != 0)
{
    Console.Error.WriteLine($"--batch-size {options.BatchSize} is the global batch; it must divide over {world.WorldSize} processes.");
    return 2;
}
int rankBatchSize = options.BatchSize / world.WorldSize;
bool leader = world.Rank == 0;
torch.set_num_threads(options.Threads ?? Math.Max(1, Environment.ProcessorCount / world.WorldSize));
(TensorDataset train, TensorDataset test) = Mnist.Load();
if (leader)
    Console.WriteLine($"MNIST: {train.Count} train, {test.Count} test images; target test accuracy {options.Target:P1}; " +
        $"{world.WorldSize} process(es) of {torch.get_num_threads()} thread(s), global batch {options.BatchSize}, precision {options.Precision}{(options.ChannelsLast ? ", channels-last" : "")}");

var runs = new List<Run>();
// Seeds outside, recipes inside: any drift of the machine's speed falls on every recipe alike.
foreach (int seed in options.Seeds)
{
    foreach (string recipe in options.Recipes)
    {
        var run = Train(recipe, seed);
        runs.Add(run);
        if (leader) Console.WriteLine(FormattableString.Invariant(
            $"RESULT recipe={recipe} seed={seed} reached={run.Reached} seconds={run.Seconds:F1} batches={run.Batches} accuracy={run.Accuracy:F4}"));
    }
}

var table = new Table().AddColumns("recipe", "runs reaching target", "median seconds", "median batches", "speed-up vs first");
double? reference = null;
foreach (string recipe in options.Recipes)
{
    var mine = runs.Where(r => r.Recipe == recipe).ToList();
    double seconds = Median(mine.Select(r => r.Reached ? r.Seconds : double.PositiveInfinity));
    double batches = Median(mine.Select(r => r.Reached ? (double)r.Batches : double.PositiveInfinity));
    reference ??= seconds;
    table.AddRow(recipe, $"{mine.Count(r => r.Reached)}/{mine.Count}", seconds.ToString("F1", CultureInfo.InvariantCulture),
        batches.ToString("F0", CultureInfo.InvariantCulture), (reference.Value / seconds).ToString("F2", CultureInfo.InvariantCulture) + "x");
}
if (leader) AnsiConsole.Write(table);
return 0;

Run Train(string recipe, int seed)
{
    // The seed fixes the initial weights here and the data order and algorithms' randomness in the Trainer.
    torch.manual_seed(seed);
    var model = new ComposerClassifier(ModelFor(recipe), numClasses: 10);
    if (options.ChannelsLast) Functional.ApplyChannelsLast(model);
    var stopper = new ThresholdStopper("Accuracy", "test", options.Target);
    // --wandb: one W&B run per recipe and seed, in W&B's offline format under ./wandb (online when WANDB_MODE says so).
    var wandb = new WandBLogger(project: "composer-net-mnist", group: recipe, name: $"{recipe}-seed{seed}", tags: [recipe],
        initKwargs: new Dictionary<string, object>
        {
            ["mode"] = options.Wandb ? Environment.GetEnvironmentVariable("WANDB_MODE") ?? "offline" : "disabled",
            ["config"] = new Dictionary<string, object> { ["recipe"] = recipe, ["target"] = options.Target, ["global_batch"] = options.BatchSize },
        });
    // The fast recipe and its ablation bring their own optimizer, schedule and budget; the others take the flags'.
    RecipeSchedule? schedule = recipes[recipe].Schedule;
    var trainerOptions = new TrainerOptions
    {
        Model = model,
        TrainDataloader = new DataLoader(train, rankBatchSize, shuffle: true, seed: seed),
        // Batches of 64: libtorch 2.10's float32 convolutions on the CPU take about 15 times as long per image at batch 512
        // (2.0-2.4 s against 0.13-0.16 s for 2,048 digits on one thread), which made every evaluation the run's biggest cost.
        Evaluators = [new Evaluator("test", new DataLoader(test, batchSize: 64))],
        EvalInterval = Time.Parse(options.EvalInterval),
        MaxDuration = Time.FromEpochs(schedule?.Epochs ?? options.MaxEpochs),
        Optimizer = schedule is not null
            ? optim.SGD(model.parameters(), learningRate: schedule.LearningRate, momentum: schedule.Momentum)
            : options.Optimizer == "adam"
                ? optim.Adam(model.parameters(), lr: options.LearningRate ?? 1e-3)
                : optim.SGD(model.parameters(), learningRate: options.LearningRate ?? 0.01, momentum: 0.5),
        Schedulers = schedule is null ? null : [new CosineAnnealingWithWarmupScheduler(schedule.Warmup)],
        Seed = seed,
        Device = CPU,
        Precision = options.Precision,
        // The same reporting for every recipe, as Composer's callbacks=[...] and loggers=[...].
        Callbacks = [stopper, new EvalPrinter(options.Verbose), new DigitPredictions(options.Wandb), .. Monitors()],
        Loggers = options.Mlflow is { } mlflowUri
            ? [wandb, new MLFlowLogger(experimentName: "composer-net-mnist", runName: $"{recipe}-seed{seed}", trackingUri: mlflowUri,
                tags: new Dictionary<string, string> { ["recipe"] = recipe })]
            : [wandb],
    };
    Trainer trainer = recipes[recipe].Create(trainerOptions);
    var clock = Stopwatch.StartNew();
    FitResult result = trainer.Fit();
    clock.Stop();
    double accuracy = result.Metric("test", "Accuracy");
    model.Dispose();
    if (options.Wandb && leader) Console.WriteLine($"W&B run: {wandb.RunFolder}");
    if (trainerOptions.Loggers!.OfType<MLFlowLogger>().FirstOrDefault() is { RunId: { } runId } mlflow && leader)
        Console.WriteLine($"MLflow run: {runId} in experiment {mlflow.ExperimentId} at {mlflow.TrackingUri}");
    return new Run(recipe, seed, clock.Elapsed.TotalSeconds, result.Timestamp.Batch, accuracy, stopper.ReachedAt is not null);
}

// --monitors: the monitors that can be given at run time (their events are outside the training step), every 50 batches.
Callback[] Monitors() => options.Monitors
    ? [new SpeedMonitor(windowSize: 50), new SystemMetricsMonitor(interval: 50), new OptimizerMonitor(batchLogInterval: 50), new LRMonitor()]
    : [];

// The surgery methods need a network with residual blocks, strided convolutions and batch norms: the small ResNet.
nn.Module<Tensor, Tensor> ModelFor(string recipe) => recipe == "surgery" || options.Model == "resnet" ? new ResNet() : MnistModel.Cnn();

static double Median(IEnumerable<double> values)
{
    double[] sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

/// <summary>One training run: how long it took to reach the target, if it did.</summary>
internal sealed record Run(string Recipe, int Seed, double Seconds, long Batches, double Accuracy, bool Reached);
