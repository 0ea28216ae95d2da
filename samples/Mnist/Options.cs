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

    public string Model { get; init; } = "cnn";
    public bool Help { get; init; }

    public static string Usage(IEnumerable<string> recipes) => $"""
        usage: dotnet run -c Release --project samples/Mnist -- [flags]
          --recipe a,b,...     recipes to run, in order ({string.Join(", ", recipes)}); default baseline,fast
                               fast and its ablation (schedule, schedule+ema, fast+resizing, fast+resizing+selective)
                               bring their own optimizer and budget: SGD at 0.05 with momentum 0.9, warmup over the
                               first 10%, cosine decay to 0 at 8 epochs; --optimizer, --lr and --max-epochs do not apply
          --seeds 1,2,3        seeds; every recipe runs once per seed; default 1
          --target 0.97        test accuracy that stops a run; default 0.97
          --max-epochs 30      give up after this many epochs; default 30
          --eval-interval 25ba how often to evaluate the 2,004 test images; default 25ba
          --batch-size 64      the global batch, split over the processes under mpirun; default 64
          --optimizer sgd      sgd (momentum 0.5, PyTorch's MNIST example) or adam
          --lr 0.01            learning rate; default 0.01 for sgd, 0.001 for adam
          --threads N          intra-op threads; default all cores
          --verbose            print every evaluation's accuracy
          --model cnn|resnet   the network (default cnn, Composer's MNIST CNN; the surgery recipe always uses resnet)
          --wandb              log each run to Weights & Biases (offline run folders under ./wandb, with a table
                               of 100 test digits, truth and prediction; upload with `wandb sync`)
        """;

    public static Options Parse(string[] args, IEnumerable<string> knownRecipes)
    {
        var options = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string flag = args[i];
            if (flag is "-h" or "--help") return options with { Help = true };
            if (flag == "--wandb")
            {
                options = options with { Wandb = true };
                continue;
            }
            if (flag is "-v" or "--verbose")
            {
                options = options with { Verbose = true };
                continue;
            }
            if (i + 1 >= args.Length) throw new ArgumentException($"{flag} needs a value.");
            string value = args[++i];
            options = flag switch
            {
                "--recipe" or "--recipes" => options with { Recipes = ParseRecipes(value, knownRecipes) },
                "--seeds" or "--seed" => options with { Seeds = value.Split(',').Select(s => Number<int>(flag, s)).ToArray() },
                "--target" => options with { Target = Number<double>(flag, value) },
                "--max-epochs" => options with { MaxEpochs = Number<int>(flag, value) },
                "--eval-interval" => options with { EvalInterval = value },
                "--batch-size" => options with { BatchSize = Number<int>(flag, value) },
                "--model" => value is "cnn" or "resnet" ? options with { Model = value } : throw new ArgumentException($"--model is cnn or resnet, not {value}."),
                "--lr" => options with { LearningRate = Number<double>(flag, value) },
                "--optimizer" => value is "sgd" or "adam" ? options with { Optimizer = value } : throw new ArgumentException($"--optimizer is sgd or adam; got \"{value}\"."),
                "--threads" => options with { Threads = Number<int>(flag, value) },
                _ => throw new ArgumentException($"Unknown flag {flag}."),
            };
        }
        return options;
    }

    private static string[] ParseRecipes(string value, IEnumerable<string> known)
    {
        string[] names = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string[] unknown = names.Where(n => !known.Contains(n)).ToArray();
        if (unknown.Length > 0) throw new ArgumentException($"Unknown recipe {string.Join(", ", unknown)}; the recipes are {string.Join(", ", known)}.");
        return names;
    }

    private static T Number<T>(string flag, string value) where T : IParsable<T> =>
        T.TryParse(value, CultureInfo.InvariantCulture, out T? number)
            ? number
            : throw new ArgumentException($"{flag} takes a number; got \"{value}\".");
}
