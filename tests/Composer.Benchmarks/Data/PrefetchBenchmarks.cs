using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Composer.Benchmarks.EndToEnd;
using Composer.Core;
using Composer.Data;
using Composer.Datasets;
using Composer.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Benchmarks.Data;

/// <summary>
/// Loading that costs more than training: 1,280 MNIST images whose every sample takes 2 ms of CPU to "decode"
/// (a busy wait standing in for JPEG decoding or tokenization), trained one epoch (20 batches of 64) by the
/// generated Trainer with the MLP, with the next batches read on 0, 2 or 4 worker threads. Times are per batch.
/// </summary>
public class PrefetchBenchmarks
{
    private const int Samples = 1280;
    private static readonly TimeSpan DecodeCost = TimeSpan.FromMilliseconds(2);
    private TensorDataset _mnist = null!;
    private nn.Module<Tensor, Tensor> _module = null!;
    private EndToEndTrainer _trainer = null!;

    /// <summary>Batches read ahead on worker threads; 0 reads each batch on the training thread.</summary>
    [Params(0, 2, 4)]
    public int Prefetch { get; set; }

    /// <summary>Builds the dataset, the model and the Trainer.</summary>
    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(MnistWorkload.Threads);
        (TensorDataset train, TensorDataset test) = Mnist.Load();
        test.Dispose();
        _mnist = train;
        torch.manual_seed(17);
        _module = MnistModel.Mlp();
        var samples = Dataset.From<IReadOnlyDictionary<string, Tensor>>(Samples, Decode);
        _trainer = new EndToEndTrainer(new TrainerOptions
        {
            Model = new ComposerClassifier(_module, numClasses: 10),
            TrainDataloader = new DataLoader<IReadOnlyDictionary<string, Tensor>>(samples, MnistWorkload.BatchSize,
                collate: s => new Batch(Collate.Stack(s), Batch.InputsName, Batch.TargetsName), shuffle: true, seed: 17, prefetch: Prefetch),
            MaxDuration = Time.FromEpochs(0),
            Optimizer = optim.Adam(_module.parameters(), lr: 1e-3),
            Seed = 17,
            Device = CPU,
        });
    }

    private IReadOnlyDictionary<string, Tensor> Decode(int index)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < DecodeCost) Thread.SpinWait(20);
        return new Dictionary<string, Tensor>
        {
            [Batch.InputsName] = _mnist.Inputs[index].clone(),
            [Batch.TargetsName] = _mnist.Targets[index].clone(),
        };
    }

    /// <summary>Frees the data and the model.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _mnist.Dispose();
        _module.Dispose();
    }

    /// <summary>One epoch of 20 batches.</summary>
    [Benchmark(OperationsPerInvoke = Samples / MnistWorkload.BatchSize)]
    public void TrainerEpoch()
    {
        _trainer.State.MaxDuration = Time.FromEpochs(_trainer.State.Timestamp.Epoch + 1);
        _trainer.Fit();
    }
}
