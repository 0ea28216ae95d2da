// A small GPT learns the SpamAssassin corpus one character at a time (Karpathy's char-level recipe): windows of the
// messages' text, next-character cross entropy, AdamW with a cosine schedule, and the Generate callback continuing a
// few prompts as training goes. Prints the held-out perplexity and the final generations.
using System.CommandLine;
using Composer;
using Composer.Algorithms;
using Composer.Callbacks;
using Composer.Core;
using Composer.Data;
using Composer.Loggers;
using Composer.Models.Transformer;
using Composer.Optim;
using Composer.Text;
using TextClassification;
using TextGeneration;
using TorchSharp;
using static TorchSharp.torch;

RootCommand command = Options.Command();
command.SetAction(parsed => Train(Options.From(parsed)));
return command.Parse(args).Invoke();

static int Train(Options options)
{
    torch.set_num_threads(options.Threads);
    torch.manual_seed(options.Seed);

    // 1. The corpus split as the text sample splits it, and one token per character of the training split.
    var (trainMessages, evalMessages) = SpamCorpus.Split(SpamCorpus.Read(options.DataPath), trainShare: 0.8, seed: 17);
    CharacterTokenizer tokenizer = CharacterTokenizer.Fit(trainMessages.Select(m => m.Text));

    // 2. Non-overlapping windows of each message's text: the model predicts every character from the ones before it.
    var train = new DataLoader<IReadOnlyDictionary<string, Tensor>>(Windows.Of(trainMessages, tokenizer, options.Context), batchSize: 32,
        new PaddingCollator { PadTokenId = tokenizer.PadId }.Collate, shuffle: true, dropLast: true);
    var eval = new DataLoader<IReadOnlyDictionary<string, Tensor>>(Windows.Of(evalMessages.Take(200).ToList(), tokenizer, options.Context), batchSize: 64,
        new PaddingCollator { PadTokenId = tokenizer.PadId }.Collate);
    Console.WriteLine($"{train.Count * 32:N0} training windows of {options.Context} characters, vocabulary {tokenizer.VocabularySize}");

    // 3. The model, AdamW, cosine decay after a warmup, and the callbacks.
    var model = new GptModel(tokenizer.VocabularySize, maxSequenceLength: options.Context, dimension: 128, heads: 4, layers: options.Layers, dropout: 0.1);
    var generate = new Generate(["Re: ", "Subject: Free ", "Dear friend,"], interval: $"{Math.Max(1, options.Batches / 2)}ba", tokenizer,
        maxNewTokens: 60, doSample: !options.Greedy, temperature: 0.8, topK: 20);
    var trainerOptions = new TrainerOptions
    {
        Model = model,
        TrainDataloader = train,
        EvalDataloader = eval,
        EvalInterval = Time.Parse($"{options.Batches}ba"),
        MaxDuration = Time.Parse($"{options.Batches}ba"),
        Optimizer = new DecoupledAdamW(model.parameters(), lr: 3e-3, weightDecay: 1e-5),
        Schedulers = [new CosineAnnealingWithWarmupScheduler(tWarmup: "0.1dur")],
        Seed = options.Seed,
        Precision = options.Precision switch
        {
            "amp_bf16" => Precision.AmpBf16,
            "amp_fp16" => Precision.AmpFp16,
            _ => Precision.Fp32,
        },
        LogInterval = 10,
        Callbacks = [generate, new SpeedMonitor(windowSize: 10, timeUnit: "seconds")],
    };

    // 4. Train; with --alibi the attention gets ALiBi's bias instead of learned positions.
    var clock = System.Diagnostics.Stopwatch.StartNew();
    FitResult result = options.Alibi
        ? new AlibiGptTrainer(new Alibi(maxSequenceLength: options.Context, trainSequenceLengthScaling: 1), new ProgressBarLogger(), trainerOptions).Fit()
        : new GptTrainer(new ProgressBarLogger(), trainerOptions).Fit();
    double perplexity = result.Metric("eval", "LanguagePerplexity");
    Console.WriteLine($"{result.Timestamp.Batch} batches in {clock.Elapsed.TotalSeconds:F0} s: held-out perplexity {perplexity:F2} " +
        $"(uniform guessing: {tokenizer.VocabularySize}), cross entropy {result.Metric("eval", "LanguageCrossEntropy"):F3} nats");
    for (int i = 0; i < generate.Prompts.Count; i++)
        Console.WriteLine($"  {generate.Prompts[i]}|{generate.LastGenerations[i].ReplaceLineEndings(" ")}");
    return perplexity < tokenizer.VocabularySize ? 0 : 1;
}

namespace TextGeneration
{
    /// <summary>The plain recipe's Trainer.</summary>
    [Trainer(typeof(ProgressBarLogger))]
    public partial class GptTrainer;

    /// <summary>With ALiBi: a bias on the attention scores in place of the learned positions.</summary>
    [Trainer(typeof(Alibi), typeof(ProgressBarLogger))]
    public partial class AlibiGptTrainer;

    /// <summary>Each message cut into windows of <c>context</c> characters (the last one shorter), as token-id samples.</summary>
    public static class Windows
    {
        /// <summary>The dataset of every message's windows.</summary>
        public static IDataset<IReadOnlyDictionary<string, Tensor>> Of(IReadOnlyList<Message> messages, CharacterTokenizer tokenizer, int context)
        {
            List<long[]> windows = [];
            foreach (Message message in messages)
            {
                long[] ids = tokenizer.Encode(message.Text);
                for (int start = 0; start + 1 < ids.Length; start += context)
                    windows.Add(ids[start..Math.Min(ids.Length, start + context)]);
            }
            return Dataset.From<IReadOnlyDictionary<string, Tensor>>(windows.Count,
                i => new Dictionary<string, Tensor> { [Batch.InputIds] = tensor(windows[i]) });
        }
    }

    /// <summary>Command-line options.</summary>
    public sealed record Options(int Batches, int Context, int Layers, bool Alibi, bool Greedy, int Seed, int Threads, string DataPath, string Precision)
    {
        private static readonly Option<int> BatchesOption = Positive("--batches", "training batches of 32 windows", 300);
        private static readonly Option<int> ContextOption = Positive("--context", "characters per window, and the model's positions", 64);
        private static readonly Option<int> LayersOption = Positive("--layers", "decoder layers", 2);
        private static readonly Option<bool> AlibiOption = new("--alibi") { Description = "apply ALiBi (attention bias instead of learned positions)" };
        private static readonly Option<bool> GreedyOption = new("--greedy") { Description = "greedy decoding instead of sampling (temperature 0.8 among the top 20)" };
        private static readonly Option<int> SeedOption = new("--seed") { Description = "the model's and the data order's seed", DefaultValueFactory = _ => 1 };
        private static readonly Option<int> ThreadsOption = Positive("--threads", "intra-op threads", Environment.ProcessorCount);
        private static readonly Option<string> DataOption = new("--data") { Description = "the corpus (a gzipped TSV of label and text)", DefaultValueFactory = _ => SpamCorpus.DefaultPath };
        private static readonly Option<string> PrecisionOption = PrecisionChoice();

        /// <summary>The command line, with <c>--help</c>.</summary>
        public static RootCommand Command()
        {
            var command = new RootCommand("Trains a small character-level GPT on the SpamAssassin corpus and generates text with the Generate callback.");
            foreach (Option option in new Option[] { BatchesOption, ContextOption, LayersOption, AlibiOption, GreedyOption, SeedOption, ThreadsOption, DataOption, PrecisionOption })
                command.Options.Add(option);
            return command;
        }

        /// <summary>The options of a parsed command line.</summary>
        public static Options From(ParseResult parsed) => new(parsed.GetValue(BatchesOption), parsed.GetValue(ContextOption), parsed.GetValue(LayersOption),
            parsed.GetValue(AlibiOption), parsed.GetValue(GreedyOption), parsed.GetValue(SeedOption), parsed.GetValue(ThreadsOption), parsed.GetValue(DataOption)!,
            parsed.GetValue(PrecisionOption)!);

        private static Option<string> PrecisionChoice()
        {
            var option = new Option<string>("--precision") { Description = "fp32, amp_bf16 or amp_fp16 (Composer's precision names)", DefaultValueFactory = _ => "fp32" };
            option.AcceptOnlyFromAmong("fp32", "amp_bf16", "amp_fp16");
            return option;
        }

        private static Option<int> Positive(string name, string description, int fallback)
        {
            var option = new Option<int>(name) { Description = $"{description}; at least 1", DefaultValueFactory = _ => fallback };
            option.Validators.Add(result =>
            {
                if (result.Tokens is [var token] && int.TryParse(token.Value, out int value) && value < 1) result.AddError($"{name} must be at least 1.");
            });
            return option;
        }
    }
}
