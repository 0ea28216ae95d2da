using System.CommandLine;
using System.Globalization;

namespace MnistSample;

/// <summary>The sample's command line.</summary>
internal sealed record Options
{
    public IReadOnlyList<string> Recipes { get; init; } = ["baseline", "fast"];
    public IReadOnlyList<int> Seeds { get; init; } = [1];
    public double Target { get; init; } = 0.97;
    public int MaxEpochs { get; init; } = 30;
    public string EvalInterval { get; init; } = "25ba";
    public int BatchSize { get; init; } = 64;
    public string Optimizer { get; init; } = "sgd";
    public double? LearningRate { get; init; }
    public int? Threads { get; init; }
    public bool Verbose { get; init; }

    public bool Wandb { get; init; }

    public string? Mlflow { get; init; }

    public bool Monitors { get; init; }

    public string Model { get; init; } = "cnn";

    public Composer.Core.Precision Precision { get; init; }

    public bool ChannelsLast { get; init; }

    /// <summary>The command line, with <c>--help</c>; <paramref name="recipes"/> are the names <c>--recipe</c> takes.</summary>
    public static RootCommand Command(IReadOnlyCollection<string> recipes)
    {
        var command = new RootCommand("Trains Composer's small MNIST CNN with each recipe until the test accuracy reaches a target, and prints the time each took.");
        foreach (Option option in Flags.All) command.Options.Add(option);
        Flags.Recipes.Validators.Add(result =>
        {
            string[] unknown = [.. SplitList(result.GetValueOrDefault<string>() ?? "").Where(n => !recipes.Contains(n))];
            if (unknown.Length > 0) result.AddError($"Unknown recipe {string.Join(", ", unknown)}; the recipes are {string.Join(", ", recipes)}.");
        });
        Flags.Recipes.Description += $" ({string.Join(", ", recipes)})";
        return command;
    }

    /// <summary>The options of a parsed command line.</summary>
    public static Options From(ParseResult parsed) => new()
    {
        Recipes = SplitList(parsed.GetValue(Flags.Recipes)!),
        Seeds = [.. SplitList(parsed.GetValue(Flags.Seeds)!).Select(s => int.Parse(s, CultureInfo.InvariantCulture))],
        Target = parsed.GetValue(Flags.Target),
        MaxEpochs = parsed.GetValue(Flags.MaxEpochs),
        EvalInterval = parsed.GetValue(Flags.EvalInterval)!,
        BatchSize = parsed.GetValue(Flags.BatchSize),
        Optimizer = parsed.GetValue(Flags.Optimizer)!,
        LearningRate = parsed.GetValue(Flags.LearningRate),
        Threads = parsed.GetValue(Flags.Threads),
        Verbose = parsed.GetValue(Flags.Verbose),
        Wandb = parsed.GetValue(Flags.Wandb),
        Mlflow = parsed.GetValue(Flags.Mlflow),
        Monitors = parsed.GetValue(Flags.Monitors),
        Model = parsed.GetValue(Flags.Model)!,
        Precision = PrecisionOf(parsed.GetValue(Flags.Precision)!),
        ChannelsLast = parsed.GetValue(Flags.ChannelsLast),
    };

    /// <summary>Composer's precision names: fp32, amp_bf16, amp_fp16.</summary>
    public static Composer.Core.Precision PrecisionOf(string name) => name switch
    {
        "amp_bf16" => Composer.Core.Precision.AmpBf16,
        "amp_fp16" => Composer.Core.Precision.AmpFp16,
        _ => Composer.Core.Precision.Fp32,
    };

    private static string[] SplitList(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    // The flags, with the defaults of the record above.
    private static class Flags
    {
        public static readonly Option<string> Recipes = new("--recipe", "--recipes")
        {
            Description = "recipes to run, in order, comma-separated; fast and its ablation (schedule, schedule+ema, fast+resizing, " +
                "fast+resizing+selective) bring their own optimizer and budget (SGD at 0.05, momentum 0.9, warmup over the first 10%, " +
                "cosine decay to 0 at 8 epochs), so --optimizer, --lr and --max-epochs do not apply to them",
            DefaultValueFactory = _ => "baseline,fast",
        };
        public static readonly Option<string> Seeds = new("--seeds", "--seed")
        {
            Description = "seeds, comma-separated; every recipe runs once per seed",
            DefaultValueFactory = _ => "1",
        };
        public static readonly Option<double> Target = new("--target") { Description = "the test accuracy that stops a run", DefaultValueFactory = _ => 0.97 };
        public static readonly Option<int> MaxEpochs = new("--max-epochs") { Description = "give up after this many epochs", DefaultValueFactory = _ => 30 };
        public static readonly Option<string> EvalInterval = new("--eval-interval")
        {
            Description = "how often to evaluate the 2,004 test images",
            DefaultValueFactory = _ => "25ba",
        };
        public static readonly Option<int> BatchSize = new("--batch-size")
        {
            Description = "the global batch, split over the processes under mpirun",
            DefaultValueFactory = _ => 64,
        };
        public static readonly Option<string> Optimizer = new("--optimizer")
        {
            Description = "sgd (momentum 0.5, PyTorch's MNIST example) or adam",
            DefaultValueFactory = _ => "sgd",
        };
        public static readonly Option<double?> LearningRate = new("--lr") { Description = "the learning rate; 0.01 for sgd, 0.001 for adam when not given" };
        public static readonly Option<int?> Threads = new("--threads") { Description = "intra-op threads; all cores when not given" };
        public static readonly Option<bool> Verbose = new("--verbose", "-v") { Description = "print every evaluation's accuracy" };
        public static readonly Option<bool> Wandb = new("--wandb")
        {
            Description = "log each run to Weights & Biases (offline run folders under ./wandb, with a table of 100 test digits, " +
                "truth and prediction; upload with `wandb sync`)",
        };
        public static readonly Option<string?> Mlflow = new("--mlflow")
        {
            Description = "log each run to MLflow: a folder (MLflow's file store; `mlflow ui --backend-store-uri <folder>` shows it) " +
                "or a tracking server's http(s):// URI",
        };
        public static readonly Option<bool> Monitors = new("--monitors")
        {
            Description = "add the monitors: throughput (SpeedMonitor), system metrics, optimizer norms and learning rates, every 50 batches, " +
                "to the loggers --wandb and --mlflow turn on",
        };
        public static readonly Option<string> Model = new("--model")
        {
            Description = "the network: cnn (Composer's MNIST CNN) or resnet; the surgery recipe always uses resnet",
            DefaultValueFactory = _ => "cnn",
        };

        public static readonly Option<string> Precision = new("--precision")
        {
            Description = "fp32, or mixed precision under libtorch's autocast: amp_bf16 (fast on CPUs with AVX512-BF16 or AMX) or amp_fp16",
            DefaultValueFactory = _ => "fp32",
        };

        public static readonly Option<bool> ChannelsLast = new("--channels-last")
        {
            Description = "store the convolutions' weights channels-last (Composer's ChannelsLast, through its functional form)",
        };

        public static Option[] All =>
            [Recipes, Seeds, Target, MaxEpochs, EvalInterval, BatchSize, Optimizer, LearningRate, Threads, Verbose, Wandb, Mlflow, Monitors, Model, Precision, ChannelsLast];

        static Flags()
        {
            Optimizer.AcceptOnlyFromAmong("sgd", "adam");
            Model.AcceptOnlyFromAmong("cnn", "resnet");
            Precision.AcceptOnlyFromAmong("fp32", "amp_bf16", "amp_fp16");
            Seeds.Validators.Add(result =>
            {
                if (SplitList(result.GetValueOrDefault<string>() ?? "").Any(s => !int.TryParse(s, CultureInfo.InvariantCulture, out _)))
                    result.AddError("--seeds takes whole numbers separated by commas, such as 1,2,3.");
            });
        }
    }
}
