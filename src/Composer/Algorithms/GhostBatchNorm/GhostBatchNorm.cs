using Composer.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Algorithms;

/// <summary>
/// Ghost batch normalization, Composer's <c>_GhostBatchNorm</c>: the batch is split into chunks of
/// <c>ghostBatchSize</c> samples, each normalized on its own by the same batch norm (whose momentum is divided by
/// the number of chunks while training, so the running statistics move as much as for one batch).
/// </summary>
public sealed class GhostBatchNorm2d : nn.Module<Tensor, Tensor>
{
    private readonly BatchNorm2d batchnorm;
    private readonly int _ghostBatchSize;

    /// <summary>Wraps <paramref name="batchNorm"/> (its parameters and statistics stay the same).</summary>
    public GhostBatchNorm2d(BatchNorm2d batchNorm, int ghostBatchSize = 32) : base(nameof(GhostBatchNorm2d))
    {
        batchnorm = batchNorm ?? throw new ArgumentNullException(nameof(batchNorm));
        if (ghostBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(ghostBatchSize), ghostBatchSize, "A ghost batch holds at least 1 sample.");
        _ghostBatchSize = ghostBatchSize;
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        long batchSize = input.shape[0];
        if (batchSize < _ghostBatchSize)
            throw new ArgumentException($"The batch of {batchSize} is smaller than the ghost batch size {_ghostBatchSize}; lower ghostBatchSize.", nameof(input));
        int chunks = (int)((batchSize + _ghostBatchSize - 1) / _ghostBatchSize);
        double? momentum = batchnorm.momentum;
        bool scale = training && momentum is not null;
        if (scale) batchnorm.momentum = momentum / chunks;
        try
        {
            using var scope = NewDisposeScope();
            return cat(input.chunk(chunks, 0).Select(chunk => batchnorm.call(chunk)).ToList(), 0).MoveToOuterDisposeScope();
        }
        finally
        {
            if (scale) batchnorm.momentum = momentum;
        }
    }
}

/// <summary>
/// Ghost BatchNorm (Hoffer et al., 2017, arXiv:1705.08741), as <c>composer.algorithms.GhostBatchNorm</c>: at
/// <see cref="Event.Init"/> every <c>BatchNorm2d</c> normalizes chunks of <c>ghostBatchSize</c> samples (default 32).
/// </summary>
public sealed class GhostBatchNorm(int ghostBatchSize = 32) : Algorithm
{
    /// <summary>How many batch norms were replaced.</summary>
    public int Replaced { get; private set; }

    /// <summary>Replaces the batch norms.</summary>
    [OnEvent(Event.Init)]
    public void Apply(State state) => Replaced = Functional.ApplyGhostBatchNorm(state.Model, state.Optimizer, ghostBatchSize);
}
