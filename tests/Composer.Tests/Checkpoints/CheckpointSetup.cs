using Composer.Algorithms;
using Composer.Callbacks;
using Composer.Core;
using Composer.Data;
using Composer.Datasets;
using Composer.Models;
using Composer.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Checkpoints;

[Trainer(typeof(MixUp), typeof(Ema), typeof(CheckpointSaver), typeof(Interruption))]
public partial class ResumableTrainer;

[Trainer(typeof(CheckpointSaver), typeof(FailingState))]
public partial class SavingTrainer;

/// <summary>
/// A run where everything that can break an exact resume is in play: shuffled data, dropout and MixUp drawing
/// from torch's random state, SGD momentum, a cosine schedule, and EMA's averaged weights.
/// 20 samples in batches of 4 make 5 batches an epoch; 3 epochs make 15.
/// </summary>
internal static class CheckpointSetup
{
    public const int BatchesPerEpoch = 5;

    /// <param name="adamWithTorchScheduler">Adam with TorchSharp's MultiStepLR (halving after epoch 2) instead of SGD with Composer's cosine.</param>
    public static TrainerOptions Options(int seed = 5, string maxDuration = "3ep", bool autoresume = false, string? loadPath = null, bool loadWeightsOnly = false,
        bool adamWithTorchScheduler = false, Precision precision = Precision.Fp32)
    {
        torch.manual_seed(seed);
        var module = nn.Sequential(("fc1", nn.Linear(4, 8)), ("act", nn.ReLU()), ("drop", nn.Dropout(0.3)), ("fc2", nn.Linear(8, 3)));
        var model = new ComposerClassifier(module, numClasses: 3);
        var train = new SyntheticBatchPairDataset(20, [4], numClasses: 3, seed: 1);
        optim.Optimizer optimizer = adamWithTorchScheduler
            ? optim.Adam(model.parameters(), 0.01)
            : optim.SGD(model.parameters(), 0.1, momentum: 0.9);
        return new TrainerOptions
        {
            Model = model,
            TrainDataloader = new DataLoader(train, batchSize: 4, shuffle: true),
            MaxDuration = Time.Parse(maxDuration),
            Optimizer = optimizer,
            Schedulers = adamWithTorchScheduler ? null : [new CosineAnnealingScheduler()],
            TorchSchedulers = adamWithTorchScheduler ? [optim.lr_scheduler.MultiStepLR(optimizer, [2], 0.5)] : null,
            Seed = seed,
            Autoresume = autoresume,
            LoadPath = loadPath,
            LoadWeightsOnly = loadWeightsOnly,
            Precision = precision,
        };
    }

    public static ResumableTrainer Trainer(TrainerOptions options, string folder, Interruption? interruption = null, string saveInterval = "1ep", int keep = -1) =>
        new(new MixUp(alpha: 1.0), new Ema("3ba"), new CheckpointSaver(folder, saveInterval: saveInterval, numCheckpointsToKeep: keep),
            interruption ?? new Interruption(), options);

    public static string NewFolder() => Directory.CreateTempSubdirectory("composer-ckpt-").FullName;

    /// <summary>Every file in <paramref name="folder"/> with its bytes, and links with their targets.</summary>
    public static SortedDictionary<string, string> Snapshot(string folder)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string path in Directory.EnumerateFiles(folder))
        {
            var info = new FileInfo(path);
            files[info.Name] = info.LinkTarget is { } target
                ? $"link -> {target}"
                : Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
        }
        return files;
    }
}
