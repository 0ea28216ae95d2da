using Composer.Core;
using Composer.Loggers;
using Composer.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Algorithms;

/// <summary>
/// A residual block that is skipped at random while training, Composer's block-wise stochastic depth: with
/// probability <see cref="DropRate"/> the block's output is ReLU(shortcut(x)); otherwise, and always in evaluation,
/// the residual branch is added, scaled by 1 - <see cref="DropRate"/> in evaluation.
/// </summary>
public sealed class StochasticBlock : nn.Module<Tensor, Tensor>
{
    private readonly ResNetBasicBlock block;

    /// <summary>Wraps <paramref name="basicBlock"/> (its weights stay the same).</summary>
    public StochasticBlock(ResNetBasicBlock basicBlock, double dropRate) : base(nameof(StochasticBlock))
    {
        block = basicBlock ?? throw new ArgumentNullException(nameof(basicBlock));
        DropRate = dropRate;
        RegisterComponents();
    }

    /// <summary>The probability of skipping the block while training.</summary>
    public double DropRate { get; set; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        bool keep = !training || torch.rand(1).item<float>() >= DropRate;
        if (!keep) return nn.functional.relu(block.Shortcut(input)).MoveToOuterDisposeScope();
        Tensor residual = block.Residual(input);
        if (!training) residual = residual * (1 - DropRate);
        return nn.functional.relu(residual + block.Shortcut(input)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Stochastic depth (Huang et al., 2016, arXiv:1603.09382), block-wise as <c>composer.algorithms.StochasticDepth</c>
/// (<c>stochastic_method="block"</c>): at <see cref="Event.Init"/> every <see cref="ResNetBasicBlock"/> becomes a
/// <see cref="StochasticBlock"/>, block i of n with drop rate (i / n) · <c>dropRate</c> ("linear", the default) or
/// <c>dropRate</c> ("uniform"); with <c>dropWarmup</c> the rates grow from 0 over that fraction of training
/// (at <see cref="Event.BatchStart"/>). Composer's defaults: 0.2, linear, no warm-up. Composer targets torchvision's
/// Bottleneck; here the blocks of <see cref="ResNet"/>.
/// </summary>
public sealed class StochasticDepth(double dropRate = 0.2, string dropDistribution = "linear", double dropWarmup = 0.0) : Algorithm
{
    private List<StochasticBlock> _blocks = [];

    /// <summary>The blocks made stochastic.</summary>
    public IReadOnlyList<StochasticBlock> Blocks => _blocks;

    /// <summary>Wraps the blocks.</summary>
    [OnEvent(Event.Init)]
    public void Apply(State state) => _blocks = Functional.ApplyStochasticDepth(state.Model, dropRate, dropDistribution);

    /// <summary>During the warm-up, scales every block's rate by the fraction of the warm-up done.</summary>
    [OnEvent(Event.BatchStart)]
    public void WarmUp(State state, Logger logger)
    {
        if (dropWarmup <= 0) return;
        double current = state.Progress < dropWarmup ? state.Progress / dropWarmup * dropRate : dropRate;
        Functional.SetDropRates(_blocks, current, dropDistribution);
        logger.LogMetric("stochastic_depth/drop_rate", current);
    }
}
