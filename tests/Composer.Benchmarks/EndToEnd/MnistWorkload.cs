using Composer.Core;
using Composer.Data;
using Composer.Datasets;
using Composer.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Benchmarks.EndToEnd;

/// <summary>The generated Trainer of the end-to-end benchmark: no algorithms, no progress bar.</summary>
[Trainer]
public partial class EndToEndTrainer;

/// <summary>
/// MNIST training two ways with the same model, data order and optimizer: a plain TorchSharp loop and
/// the generated <see cref="EndToEndTrainer"/>.
/// </summary>
public sealed class MnistWorkload : IDisposable
{
    /// <summary>Samples per batch.</summary>
    public const int BatchSize = 64;

    private const int Seed = 17;
    private readonly TensorDataset _train;
    private readonly TensorDataset _test;
    private readonly nn.Module<Tensor, Tensor> _module;
    private readonly optim.Optimizer _optimizer;
    private EndToEndTrainer? _trainer;
    private long _plainEpoch;

    /// <summary>Intra-op threads, the same for both loops and the PyTorch peer.</summary>
    /// <remarks>
    /// One: on this 2-core machine two OpenMP threads make the MLP both slower and bimodal (1.05 to 2 ms a batch
    /// against a steady 0.72 ms with one), which hid any difference between the loops.
    /// </remarks>
    public const int Threads = 1;

    /// <summary>Loads the data and builds <paramref name="modelKind"/> (<c>mlp</c> or <c>cnn</c>) with a fixed seed.</summary>
    public MnistWorkload(string modelKind)
    {
        torch.set_num_threads(Threads);
        (_train, _test) = Mnist.Load();
        torch.manual_seed(Seed);
        _module = modelKind switch
        {
            "mlp" => MnistModel.Mlp(),
            "cnn" => MnistModel.Cnn(),
            _ => throw new ArgumentException($"Unknown model {modelKind}; use mlp or cnn.", nameof(modelKind)),
        };
        _optimizer = optim.Adam(_module.parameters(), lr: 1e-3);
    }

    /// <summary>Batches in one epoch of the training set.</summary>
    public long BatchesPerEpoch => (_train.Count + BatchSize - 1) / BatchSize;

    /// <summary>
    /// Trains one epoch by hand, as a TorchSharp user would without Composer: the shuffle order is drawn
    /// from <c>seed + epoch</c> as the Composer <see cref="DataLoader"/> draws it, so both see the same batches.
    /// </summary>
    public void PlainEpoch(Action<long>? afterBatch = null)
    {
        _module.train();
        using var epochScope = NewDisposeScope();
        using var generator = new torch.Generator((ulong)(Seed + _plainEpoch));
        Tensor order = randperm(_train.Count, generator: generator);
        for (long start = 0, batch = 0; start < _train.Count; start += BatchSize, batch++)
        {
            using var batchScope = NewDisposeScope();
            Tensor indices = order.narrow(0, start, Math.Min(BatchSize, _train.Count - start));
            Tensor inputs = _train.Inputs.index_select(0, indices);
            Tensor targets = _train.Targets.index_select(0, indices);
            _optimizer.zero_grad();
            Tensor loss = nn.functional.cross_entropy(_module.call(inputs), targets);
            loss.backward();
            _optimizer.step();
            afterBatch?.Invoke(batch);
        }
        _plainEpoch++;
    }

    /// <summary>Trains one epoch with the generated Trainer (built on first use).</summary>
    public void TrainerEpoch()
    {
        _trainer ??= CreateTrainer(maxDuration: Time.FromEpochs(0));
        _trainer.State.MaxDuration = Time.FromEpochs(_trainer.State.Timestamp.Epoch + 1);
        _trainer.Fit();
    }

    /// <summary>A trainer over the same model, optimizer and data order.</summary>
    public EndToEndTrainer CreateTrainer(Time maxDuration) => new(new TrainerOptions
    {
        Model = new ComposerClassifier(_module, numClasses: 10),
        TrainDataloader = new DataLoader(_train, BatchSize, shuffle: true, seed: Seed),
        MaxDuration = maxDuration,
        Optimizer = _optimizer,
        Seed = Seed,
        Device = CPU,
    });

    /// <summary>Frees the data and the model.</summary>
    public void Dispose()
    {
        _train.Dispose();
        _test.Dispose();
        _module.Dispose();
    }
}
