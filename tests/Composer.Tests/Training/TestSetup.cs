using Composer.Core;
using Composer.Data;
using Composer.Datasets;
using Composer.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Training;

/// <summary>A small classifier with 3 train batches and 2 eval batches per epoch.</summary>
internal static class TestSetup
{
    public const int TrainBatches = 3;
    public const int EvalBatches = 2;

    public static TrainerOptions Options(string maxDuration, string? evalInterval = null, bool withEval = true, int seed = 7,
        IReadOnlyList<Callback>? callbacks = null, IReadOnlyList<Composer.Loggers.LoggerDestination>? loggers = null,
        bool autoresume = false, int logInterval = 50)
    {
        torch.manual_seed(seed);
        var model = new ComposerClassifier(nn.Linear(4, 3), numClasses: 3);
        var train = new SyntheticBatchPairDataset(6, [4], numClasses: 3, seed: 1);
        var eval = new SyntheticBatchPairDataset(4, [4], numClasses: 3, seed: 2);
        return new TrainerOptions
        {
            Model = model,
            TrainDataloader = new DataLoader(train, batchSize: 2, shuffle: true),
            EvalDataloader = withEval ? new DataLoader(eval, batchSize: 2) : null,
            MaxDuration = Time.Parse(maxDuration),
            EvalInterval = evalInterval is null ? null : Time.Parse(evalInterval),
            Optimizer = optim.SGD(model.parameters(), 0.1),
            Seed = seed,
            Callbacks = callbacks,
            Loggers = loggers,
            Autoresume = autoresume,
            LogInterval = logInterval,
        };
    }
}
