using Composer.Algorithms;
using Composer.Core;
using Composer.Data;
using Composer.Datasets;
using Composer.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Algorithms;

/// <summary>What a batch looked like at each point of the loop, seen after the algorithms.</summary>
public sealed class BatchProbe : Callback
{
    public List<long[]> InputShapes { get; } = [];
    public List<double> ZeroShares { get; } = [];
    public List<bool> FloatTargets { get; } = [];
    public List<double> GradientNorms { get; } = [];
    public List<double> Losses { get; } = [];
    public List<double> LearningRates { get; } = [];
    public Tensor? FirstInputs { get; private set; }

    [OnEvent(Event.AfterDataloader)]
    public void AfterDataloader(State state) => FirstInputs ??= state.Batch.Inputs.detach().clone().DetachFromDisposeScope();

    [OnEvent(Event.BeforeForward)]
    public void BeforeForward(State state)
    {
        InputShapes.Add(state.Batch.Inputs.shape);
        ZeroShares.Add(state.Batch.Inputs.eq(0).to(float64).mean().item<double>());
    }

    [OnEvent(Event.BeforeLoss)]
    public void BeforeLoss(State state) => FloatTargets.Add(state.Batch.Targets.is_floating_point());

    [OnEvent(Event.AfterTrainBatch)]
    public void AfterTrainBatch(State state)
    {
        Tensor[] grads = state.Model.parameters().Where(p => p.grad is not null).Select(p => p.grad!.norm()).ToArray();
        GradientNorms.Add(stack(grads).norm().ToDouble());
        LearningRates.Add(state.Optimizer.ParamGroups.First().LearningRate);
    }

    [OnEvent(Event.BatchEnd)]
    public void BatchEnd(State state) => Losses.Add(state.Loss.ToDouble());

    public List<float[]> FirstParameterAtEpochEnd { get; } = [];
    public List<float[]> LastParameterAtEpochEnd { get; } = [];

    [OnEvent(Event.EpochEnd)]
    public void EpochEnd(State state)
    {
        FirstParameterAtEpochEnd.Add(state.Model.parameters().First().detach().clone().data<float>().ToArray());
        LastParameterAtEpochEnd.Add(state.Model.parameters().Last().detach().clone().data<float>().ToArray());
    }
}

/// <summary>An algorithm that records the batch size it sees at AfterDataloader.</summary>
public sealed class SizeAtAfterDataloader : Algorithm
{
    public List<long> Sizes { get; } = [];

    [OnEvent(Event.AfterDataloader)]
    public void Record(State state) => Sizes.Add(state.Batch.Size);
}

/// <summary>Token sequences [N, T] to class scores: embed, average over the sequence, project.</summary>
public sealed class MeanPooledTokens : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Embedding _embedding = nn.Embedding(10, 4);
    private readonly TorchSharp.Modules.Linear _head = nn.Linear(4, 3);

    public MeanPooledTokens() : base(nameof(MeanPooledTokens)) => RegisterComponents();

    public override Tensor forward(Tensor tokens) => _head.call(_embedding.call(tokens).mean([1]));
}

internal static class MethodsSetup
{
    public const int BatchesPerEpoch = 4;

    /// <summary>16 images of 1×12×12 in batches of 4 (4 a epoch) for 2 epochs, through a small CNN with adaptive pooling.</summary>
    public static TrainerOptions Images(int seed = 3, bool shuffle = true, bool pixels = false)
    {
        manual_seed(seed);
        var module = nn.Sequential(("conv", nn.Conv2d(1, 4, 3)), ("relu", nn.ReLU()), ("pool", nn.AdaptiveAvgPool2d(2)),
            ("flatten", nn.Flatten()), ("fc", nn.Linear(16, 3)));
        var model = new ComposerClassifier(module, numClasses: 3);
        var data = new SyntheticBatchPairDataset(16, [1, 12, 12], numClasses: 3, seed: 1);
        TensorDataset dataset = pixels ? new TensorDataset(data.Inputs.sigmoid(), data.Targets) : data;
        return new TrainerOptions
        {
            Model = model,
            TrainDataloader = new DataLoader(dataset, batchSize: 4, shuffle: shuffle),
            MaxDuration = Time.Parse("2ep"),
            Optimizer = optim.SGD(model.parameters(), 0.1),
            Seed = seed,
        };
    }

    /// <summary>16 token sequences of length 32 with 3 classes, 2 epochs.</summary>
    public static TrainerOptions Tokens(int seed = 3)
    {
        manual_seed(seed);
        var model = new ComposerClassifier(new MeanPooledTokens(), numClasses: 3);
        var dataset = new TensorDataset(randint(0, 10, [16, 32], generator: new Generator(1)), randint(0, 3, [16], generator: new Generator(2)));
        return new TrainerOptions
        {
            Model = model,
            TrainDataloader = new DataLoader(dataset, batchSize: 4, shuffle: true),
            MaxDuration = Time.Parse("2ep"),
            Optimizer = optim.SGD(model.parameters(), 0.1),
            Seed = seed,
        };
    }

    public static float[][] Weights(Trainer trainer) =>
        trainer.State.Model.parameters().Select(p => p.detach().clone().data<float>().ToArray()).ToArray();
}
