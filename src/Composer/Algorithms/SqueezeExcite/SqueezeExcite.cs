using Composer.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Algorithms;

/// <summary>
/// A squeeze-and-excitation block, Composer's <c>SqueezeExcite2d</c>: global average pooling, a one-hidden-layer MLP
/// (no biases, ReLU, then sigmoid) and the input scaled per channel by the MLP's outputs.
/// </summary>
public sealed class SqueezeExcite2d : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> pool_and_mlp;

    /// <summary>Creates the block for <paramref name="numFeatures"/> channels.</summary>
    /// <param name="numFeatures">Channels of the input.</param>
    /// <param name="latentChannels">Hidden width; below 1 a fraction of <paramref name="numFeatures"/>.</param>
    public SqueezeExcite2d(long numFeatures, double latentChannels = 0.125) : base(nameof(SqueezeExcite2d))
    {
        LatentChannels = (long)(latentChannels >= 1 ? latentChannels : latentChannels * numFeatures);
        if (LatentChannels < 1)
            throw new ArgumentOutOfRangeException(nameof(latentChannels), latentChannels, $"The hidden layer of {numFeatures} channels' block would be empty.");
        pool_and_mlp = nn.Sequential(
            ("pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()),
            ("fc1", nn.Linear(numFeatures, LatentChannels, hasBias: false)), ("relu", nn.ReLU()),
            ("fc2", nn.Linear(LatentChannels, numFeatures, hasBias: false)), ("sigmoid", nn.Sigmoid()));
        RegisterComponents();
    }

    /// <summary>The hidden layer's width.</summary>
    public long LatentChannels { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor attention = pool_and_mlp.call(input).reshape(input.shape[0], input.shape[1], 1, 1);
        return (input * attention).MoveToOuterDisposeScope();
    }
}

/// <summary>A convolution followed by a <see cref="SqueezeExcite2d"/> block, Composer's <c>SqueezeExciteConv2d</c>.</summary>
public sealed class SqueezeExciteConv2d : nn.Module<Tensor, Tensor>
{
    // Held as a module, so that later surgery can replace the convolution inside.
    private readonly nn.Module<Tensor, Tensor> conv;
    private readonly SqueezeExcite2d se;

    /// <summary>Wraps <paramref name="convolution"/> (its weights stay the same).</summary>
    public SqueezeExciteConv2d(Conv2d convolution, double latentChannels) : base(nameof(SqueezeExciteConv2d))
    {
        conv = convolution ?? throw new ArgumentNullException(nameof(convolution));
        se = new SqueezeExcite2d(convolution.out_channels, latentChannels);
        se.to(convolution.weight.device);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return se.call(conv.call(input)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Squeeze-and-Excitation (Hu et al., 2018, arXiv:1709.01507), as <c>composer.algorithms.SqueezeExcite</c>: at
/// <see cref="Event.Init"/> a block is added after every <c>Conv2d</c> whose smaller channel count is at least
/// <c>minChannels</c>. Composer's defaults: <c>latentChannels</c> 64, <c>minChannels</c> 128.
/// </summary>
public sealed class SqueezeExcite(double latentChannels = 64, int minChannels = 128) : Algorithm
{
    /// <summary>How many convolutions got a block.</summary>
    public int Replaced { get; private set; }

    /// <summary>Adds the blocks and gives their parameters to the optimizer.</summary>
    [OnEvent(Event.Init)]
    public void Apply(State state) =>
        Replaced = Functional.ApplySqueezeExcite(state.Model, state.Optimizer, latentChannels, minChannels);
}
