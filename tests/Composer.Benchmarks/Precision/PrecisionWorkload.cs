using Composer.Core;
using Composer.Data;
using Composer.Datasets;
using Composer.Models;
using Composer.Models.Transformer;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Benchmarks.Precision;

/// <summary>The generated Trainer of the precision measurements: no algorithms.</summary>
[Trainer]
public partial class PrecisionTrainer;

/// <summary>The same with the convolutions' weights channels-last (Composer's ChannelsLast).</summary>
[Trainer(typeof(Algorithms.ChannelsLast))]
public partial class ChannelsLastPrecisionTrainer;

/// <summary>
/// One model trained by the generated Trainer in one precision, with Adam at 1e-3 and one intra-op thread: the MNIST
/// MLP, Composer's MNIST CNN, PyTorch's MNIST example CNN (<c>torch-cnn</c>: the network of the issue's probe, 32 and
/// 64 channels and a 9,216-wide linear layer) or the small ResNet on MNIST digits (batch 64), or the text classifier on
/// random token ids (batch 32 of 128 tokens, a 5,000-token vocabulary, width 128, 2 layers). With
/// <c>channelsLast</c> the trainer applies <see cref="Algorithms.ChannelsLast"/> at Init.
/// </summary>
internal sealed class PrecisionWorkload
{
    public static readonly string[] Models = ["mlp", "cnn", "torch-cnn", "resnet", "text"];

    /// <summary>The models with convolutions, which channels-last applies to.</summary>
    public static bool IsConvolutional(string model) => model is "cnn" or "torch-cnn" or "resnet";

    private readonly Trainer _trainer;

    public PrecisionWorkload(string model, Core.Precision precision, bool channelsLast = false)
    {
        torch.set_num_threads(1);
        torch.manual_seed(17);
        ComposerModel network;
        DataLoader train;
        if (model == "text")
        {
            network = new TextClassifier(vocabularySize: 5000, numClasses: 2, maxSequenceLength: 128, dimension: 128, heads: 4, layers: 2);
            Tensor ids = randint(1, 5000, [640, 128]).DetachFromDisposeScope(), labels = randint(0, 2, [640]).DetachFromDisposeScope();
            var samples = Dataset.From<IReadOnlyDictionary<string, Tensor>>(640, i => new Dictionary<string, Tensor>
            {
                [Batch.InputIds] = ids[i], [Batch.Labels] = labels[i],
            });
            train = new DataLoader<IReadOnlyDictionary<string, Tensor>>(samples, batchSize: 32);
        }
        else
        {
            (TensorDataset mnist, TensorDataset test) = Mnist.Load();
            test.Dispose();
            network = new ComposerClassifier(model switch
            {
                "mlp" => MnistModel.Mlp(),
                "cnn" => MnistModel.Cnn(),
                "torch-cnn" => TorchExampleCnn(),
                "resnet" => new ResNet(),
                _ => throw new ArgumentException($"Unknown model {model}; use {string.Join(", ", Models)}.", nameof(model)),
            }, numClasses: 10);
            train = new DataLoader(mnist, batchSize: 64, shuffle: true, seed: 17);
        }
        var options = new TrainerOptions
        {
            Model = network,
            TrainDataloader = train,
            MaxDuration = Time.FromBatches(0),
            Optimizer = optim.Adam(network.parameters(), lr: 1e-3),
            Seed = 17,
            Device = CPU,
            Precision = precision,
        };
        _trainer = channelsLast ? new ChannelsLastPrecisionTrainer(new Algorithms.ChannelsLast(), options) : new PrecisionTrainer(options);
    }

    // PyTorch's examples/mnist/main.py network (its log_softmax is in the classifier's cross entropy).
    private static nn.Module<Tensor, Tensor> TorchExampleCnn() => nn.Sequential(
        ("conv1", nn.Conv2d(1, 32, 3)),
        ("relu1", nn.ReLU()),
        ("conv2", nn.Conv2d(32, 64, 3)),
        ("relu2", nn.ReLU()),
        ("pool", nn.MaxPool2d(2)),
        ("dropout1", nn.Dropout(0.25)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(9216, 128)),
        ("relu3", nn.ReLU()),
        ("dropout2", nn.Dropout(0.5)),
        ("fc2", nn.Linear(128, 10)));

    /// <summary>Trains <paramref name="batches"/> more batches.</summary>
    public void Train(int batches)
    {
        _trainer.State.MaxDuration = Time.FromBatches(_trainer.State.Timestamp.Batch + batches);
        _trainer.Fit();
    }
}
