// Fine-tuning-style text classification, the steps of a Hugging Face training loop with a generated Trainer:
// a tokenizer, a collator that pads each batch, dict batches (input_ids, attention_mask, labels), AdamW, a linear
// schedule with warmup, a progress bar, and evaluation with accuracy, here against the majority-class baseline.
using Composer;
using Composer.Algorithms;
using Composer.Core;
using Composer.Data;
using Composer.Loggers;
using Composer.Models.Transformer;
using Composer.Optim;
using System.CommandLine;
using TextClassification;
using TorchSharp;
using static TorchSharp.torch;

RootCommand command = Options.Command();
command.SetAction(parsed => Train(Options.From(parsed)));
return command.Parse(args).Invoke();

static int Train(Options options)
{
    torch.set_num_threads(options.Threads);
    torch.manual_seed(options.Seed);

    // 1. The corpus and a seeded 80/20 split.
    var (trainMessages, evalMessages) = SpamCorpus.Split(SpamCorpus.Read(options.DataPath), trainShare: 0.8, options.Seed);
    int majority = trainMessages.Count(m => m.Label == 1) * 2 > trainMessages.Length ? 1 : 0;
    double majorityAccuracy = evalMessages.Count(m => m.Label == majority) / (double)evalMessages.Length;

    // 2. The tokenizer (GPT-2's BPE) and the vocabulary of the training split.
    TextEncoding encoding = TextEncoding.Fit(trainMessages.Select(m => m.Text), options.MaxTokens);
    Console.WriteLine($"{trainMessages.Length} train / {evalMessages.Length} eval messages, vocabulary {encoding.VocabularySize}, " +
        $"majority class '{(majority == 1 ? "spam" : "ham")}' scores {majorityAccuracy:P1}");

    // 3. Dataloaders: samples of different lengths, padded per batch (to a multiple of 8) with an attention mask.
    var collator = new PaddingCollator { PadTokenId = TextEncoding.PadId, PadToMultipleOf = 8 };
    var train = new DataLoader<IReadOnlyDictionary<string, Tensor>>(encoding.Dataset(trainMessages), batchSize: 32,
        collator.Collate, shuffle: true, dropLast: true, prefetch: options.Prefetch);
    var eval = new DataLoader<IReadOnlyDictionary<string, Tensor>>(encoding.Dataset(evalMessages), batchSize: 64, collator.Collate);

    // 4. The model, AdamW, and a linear schedule with warmup.
    var model = new TextClassifier(encoding.VocabularySize, numClasses: 2, maxSequenceLength: options.MaxTokens,
        dimension: 64, heads: 4, layers: 2, metrics: [new Composer.Metrics.Accuracy(), new Composer.Metrics.BinaryF1Score()]);
    var trainerOptions = new TrainerOptions
    {
        Model = model,
        TrainDataloader = train,
        EvalDataloader = eval,
        EvalInterval = Time.Parse("1ep"),
        MaxDuration = Time.Parse($"{options.Epochs}ep"),
        Optimizer = optim.AdamW(model.parameters(), lr: 1e-3, weight_decay: 0.01),
        Schedulers = [new LinearWithWarmupScheduler(tWarmup: "0.1dur")],
        Device = CPU,
        Seed = options.Seed,
        Precision = options.Precision switch
        {
            "amp_bf16" => Precision.AmpBf16,
            "amp_fp16" => Precision.AmpFp16,
            _ => Precision.Fp32,
        },
    };

    // 5. Train and evaluate: the generated Trainer runs the loop, its algorithms and the progress bar.
    var clock = System.Diagnostics.Stopwatch.StartNew();
    FitResult result = options.Recipe switch
    {
        "baseline" => new TextTrainer(new ProgressBarLogger(), trainerOptions).Fit(),
        "sequence" => new SequenceMethodsTrainer(
            new Alibi(maxSequenceLength: options.MaxTokens, trainSequenceLengthScaling: 1),
            new GatedLinearUnits(),
            new LowPrecisionLayerNorm(),
            new SeqLengthWarmup(duration: 0.3, minSeqLength: 16, maxSeqLength: options.MaxTokens, stepSize: 8),
            new ProgressBarLogger(), trainerOptions).Fit(),
        _ => throw new ArgumentException($"Unknown recipe '{options.Recipe}'; use baseline or sequence."),
    };
    double accuracy = result.Metric("eval", "Accuracy");
    Console.WriteLine($"recipe {options.Recipe}: eval accuracy {accuracy:P1}, F1 {result.Metric("eval", "BinaryF1Score"):F4}, against the majority baseline {majorityAccuracy:P1} " +
        $"({result.Timestamp.Token:N0} real tokens, {clock.Elapsed.TotalSeconds:F0} s)");
    return accuracy > majorityAccuracy ? 0 : 1;
}

namespace TextClassification
{
    /// <summary>The plain recipe's Trainer.</summary>
    [Trainer(typeof(ProgressBarLogger))]
    public partial class TextTrainer;

    /// <summary>The sequence methods composed: ALiBi, Gated Linear Units, Low Precision LayerNorm, sequence-length warmup.</summary>
    [Trainer(typeof(Alibi), typeof(GatedLinearUnits), typeof(LowPrecisionLayerNorm), typeof(SeqLengthWarmup), typeof(ProgressBarLogger))]
    public partial class SequenceMethodsTrainer;

    /// <summary>Command-line options.</summary>
    public sealed record Options(string Recipe, int Epochs, int Seed, int MaxTokens, int Prefetch, int Threads, string DataPath, string Precision)
    {
        private static readonly Option<string> RecipeOption = new("--recipe")
        {
            Description = "baseline (the transformer alone) or sequence (with ALiBi, GLU, Low Precision LayerNorm, SeqLengthWarmup)",
            DefaultValueFactory = _ => "baseline",
        };
        private static readonly Option<int> EpochsOption = Positive("--epochs", "epochs to train", 3);
        private static readonly Option<int> SeedOption = new("--seed") { Description = "the split's, the model's and the data order's seed", DefaultValueFactory = _ => 17 };
        private static readonly Option<int> MaxTokensOption = Positive("--max-tokens", "tokens kept per message, and the model's positions", 128);
        private static readonly Option<int> PrefetchOption = new("--prefetch") { Description = "batches read ahead on worker threads", DefaultValueFactory = _ => 2 };
        private static readonly Option<int> ThreadsOption = Positive("--threads", "intra-op threads", Environment.ProcessorCount);
        private static readonly Option<string> DataOption = new("--data")
        {
            Description = "the corpus (a gzipped TSV of label and text)",
            DefaultValueFactory = _ => SpamCorpus.DefaultPath,
        };

        private static readonly Option<string> PrecisionOption = new("--precision")
        {
            Description = "fp32, or mixed precision under libtorch's autocast: amp_bf16 or amp_fp16",
            DefaultValueFactory = _ => "fp32",
        };

        static Options()
        {
            RecipeOption.AcceptOnlyFromAmong("baseline", "sequence");
            PrecisionOption.AcceptOnlyFromAmong("fp32", "amp_bf16", "amp_fp16");
        }

        /// <summary>The command line, with <c>--help</c>.</summary>
        public static RootCommand Command()
        {
            var command = new RootCommand("Trains a spam/ham classifier on the SpamAssassin corpus with a generated Trainer, as a Hugging Face loop does.");
            foreach (Option option in new Option[] { RecipeOption, EpochsOption, SeedOption, MaxTokensOption, PrefetchOption, ThreadsOption, DataOption, PrecisionOption })
                command.Options.Add(option);
            return command;
        }

        /// <summary>The options of a parsed command line.</summary>
        public static Options From(ParseResult parsed) => new(parsed.GetValue(RecipeOption)!, parsed.GetValue(EpochsOption), parsed.GetValue(SeedOption),
            parsed.GetValue(MaxTokensOption), parsed.GetValue(PrefetchOption), parsed.GetValue(ThreadsOption), parsed.GetValue(DataOption)!,
            parsed.GetValue(PrecisionOption)!);

        private static Option<int> Positive(string name, string description, int fallback)
        {
            var option = new Option<int>(name) { Description = $"{description}; at least 1", DefaultValueFactory = _ => fallback };
            // Checks the given token: a value that is not a number is System.CommandLine's own error.
            option.Validators.Add(result =>
            {
                if (result.Tokens is [var token] && int.TryParse(token.Value, out int value) && value < 1) result.AddError($"{name} must be at least 1.");
            });
            return option;
        }
    }
}
