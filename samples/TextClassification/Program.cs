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
using TextClassification;
using TorchSharp;
using static TorchSharp.torch;

Options options = Options.Parse(args);
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
    dimension: 64, heads: 4, layers: 2);
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
Console.WriteLine($"recipe {options.Recipe}: eval accuracy {accuracy:P1} against the majority baseline {majorityAccuracy:P1} " +
    $"({result.Timestamp.Token:N0} real tokens, {clock.Elapsed.TotalSeconds:F0} s)");
return accuracy > majorityAccuracy ? 0 : 1;

namespace TextClassification
{
    /// <summary>The plain recipe's Trainer.</summary>
    [Trainer(typeof(ProgressBarLogger))]
    public partial class TextTrainer;

    /// <summary>The sequence methods composed: ALiBi, Gated Linear Units, Low Precision LayerNorm, sequence-length warmup.</summary>
    [Trainer(typeof(Alibi), typeof(GatedLinearUnits), typeof(LowPrecisionLayerNorm), typeof(SeqLengthWarmup), typeof(ProgressBarLogger))]
    public partial class SequenceMethodsTrainer;

    /// <summary>Command-line options.</summary>
    public sealed record Options(string Recipe, int Epochs, int Seed, int MaxTokens, int Prefetch, int Threads, string DataPath)
    {
        /// <summary>Reads <c>--recipe baseline|sequence --epochs N --seed N --max-tokens N --prefetch N --threads N --data PATH</c>.</summary>
        public static Options Parse(string[] args)
        {
            var values = new Dictionary<string, string>();
            for (int i = 0; i < args.Length; i += 2)
            {
                if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                    throw new ArgumentException($"Expected '--name value' pairs; got '{args[i]}'. Options: --recipe, --epochs, --seed, --max-tokens, --prefetch, --threads, --data.");
                values[args[i][2..]] = args[i + 1];
            }
            int Int(string name, int fallback) => values.TryGetValue(name, out string? v) ? int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;
            return new Options(values.GetValueOrDefault("recipe", "baseline"), Int("epochs", 3), Int("seed", 17), Int("max-tokens", 128),
                Int("prefetch", 2), Int("threads", Environment.ProcessorCount), values.GetValueOrDefault("data", SpamCorpus.DefaultPath));
        }
    }
}
