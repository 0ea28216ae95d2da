// Composer's quick start in C#: a Linear(10, 10) classifier on synthetic data, trained for three epochs with
// LabelSmoothing and EMA composed into a generated Trainer, with a progress bar.
using Composer;
using Composer.Algorithms;
using Composer.Core;
using Composer.Data;
using Composer.Datasets;
using Composer.Loggers;
using Composer.Models;
using QuickStart;
using System.CommandLine;
using TorchSharp;
using static TorchSharp.torch;

var epochs = new Option<int>("--epochs") { Description = "epochs to train", DefaultValueFactory = _ => 3 };
// Checks the given token: a value that is not a number is System.CommandLine's own error, reported before this runs.
epochs.Validators.Add(result =>
{
    if (result.Tokens is [var token] && int.TryParse(token.Value, out int value) && value < 1) result.AddError("--epochs must be at least 1.");
});
var command = new RootCommand("Composer's quick start: a Linear(10, 10) classifier on random data, with LabelSmoothing and EMA.") { epochs };
command.SetAction(parsed => Train(parsed.GetValue(epochs)));
return command.Parse(args).Invoke();

static int Train(int epochs)
{
    torch.manual_seed(42);
    var model = new ComposerClassifier(nn.Linear(10, 10), numClasses: 10);
    using var trainData = new SyntheticBatchPairDataset(totalDatasetSize: 100, dataShape: [10], numClasses: 10, seed: 1);
    using var evalData = new SyntheticBatchPairDataset(totalDatasetSize: 20, dataShape: [10], numClasses: 10, seed: 2);

    var losses = new LossPrinter();
    var trainer = new QuickStartTrainer(
        new LabelSmoothing(smoothing: 0.1),
        new Ema(halfLife: "10ba"),
        losses,
        // Bars in a terminal; plain lines when the output is redirected or CI is set.
        new ProgressBarLogger(),
        new TrainerOptions
        {
            Model = model,
            TrainDataloader = new DataLoader(trainData, batchSize: 32, shuffle: true),
            EvalDataloader = new DataLoader(evalData, batchSize: 32),
            MaxDuration = Time.FromEpochs(epochs),
            Optimizer = optim.Adam(model.parameters(), lr: 1e-3),
            Device = CPU,
            Seed = 42,
        });

    FitResult result = trainer.Fit();

    double accuracy = result.Metric("eval", "Accuracy");
    Console.WriteLine($"loss {losses.LastEpochLoss:F4}, eval accuracy {accuracy:P1}");
    if (!double.IsFinite(losses.LastEpochLoss)) return 1;
    return 0;
}

namespace QuickStart
{
    /// <summary>The generated Trainer: the generator writes its constructor, Fit() and Eval().</summary>
    [Trainer(typeof(LabelSmoothing), typeof(Ema), typeof(LossPrinter), typeof(ProgressBarLogger))]
    public partial class QuickStartTrainer;
}
