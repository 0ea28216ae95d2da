using Composer.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Algorithms;

/// <summary>
/// A linear layer as two thinner ones through <see cref="LatentFeatures"/> features, Composer's
/// <c>FactorizedLinear</c>, started from the original's truncated SVD: W ≈ (U_k √S_k)(√S_k V_kᵀ).
/// </summary>
public sealed class FactorizedLinear : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> first;
    private readonly nn.Module<Tensor, Tensor> second;

    /// <summary>Factorizes <paramref name="linear"/> with <paramref name="latentFeatures"/> features in between.</summary>
    public FactorizedLinear(Linear linear, long latentFeatures) : base(nameof(FactorizedLinear))
    {
        ArgumentNullException.ThrowIfNull(linear);
        LatentFeatures = latentFeatures;
        Linear down = nn.Linear(linear.in_features, latentFeatures, hasBias: false, device: linear.weight!.device);
        Linear up = nn.Linear(latentFeatures, linear.out_features, hasBias: linear.bias is not null, device: linear.weight.device);
        (Tensor downWeight, Tensor upWeight) = Functional.FactorizeMatrix(linear.weight, latentFeatures);
        using (no_grad())
        {
            down.weight!.copy_(downWeight);
            up.weight!.copy_(upWeight);
            if (linear.bias is not null) up.bias!.copy_(linear.bias);
        }
        (first, second) = (down, up);
        RegisterComponents();
    }

    /// <summary>The features in between.</summary>
    public long LatentFeatures { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return second.call(first.call(input)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A convolution as a convolution to <see cref="LatentChannels"/> channels (same kernel, stride and padding) followed by
/// a 1x1 convolution, Composer's <c>FactorizedConv2d</c>, started from the truncated SVD of the kernel viewed as an
/// [out, in·kh·kw] matrix.
/// </summary>
public sealed class FactorizedConv2d : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> first;
    private readonly nn.Module<Tensor, Tensor> second;

    /// <summary>Factorizes <paramref name="conv"/> (groups 1) with <paramref name="latentChannels"/> channels in between.</summary>
    public FactorizedConv2d(Conv2d conv, long latentChannels) : base(nameof(FactorizedConv2d))
    {
        ArgumentNullException.ThrowIfNull(conv);
        if (conv.groups != 1) throw new NotSupportedException("Only ungrouped convolutions are factorized.");
        LatentChannels = latentChannels;
        Device device = conv.weight!.device;
        Conv2d down = nn.Conv2d(conv.in_channels, latentChannels, conv.kernel_size[0], stride: conv.stride[0], padding: conv.padding![0],
            dilation: conv.dilation[0], bias: false, device: device);
        Conv2d up = nn.Conv2d(latentChannels, conv.out_channels, 1, bias: conv.bias is not null, device: device);
        Tensor matrix = conv.weight.reshape(conv.out_channels, -1);
        (Tensor downWeight, Tensor upWeight) = Functional.FactorizeMatrix(matrix, latentChannels);
        using (no_grad())
        {
            down.weight!.copy_(downWeight.reshape(latentChannels, conv.in_channels, conv.kernel_size[0], conv.kernel_size[1]));
            up.weight!.copy_(upWeight.reshape(conv.out_channels, latentChannels, 1, 1));
            if (conv.bias is not null) up.bias!.copy_(conv.bias);
        }
        (first, second) = (down, up);
        RegisterComponents();
    }

    /// <summary>The channels in between.</summary>
    public long LatentChannels { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return second.call(first.call(input)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Factorize (low-rank layers; Composer's <c>composer.algorithms.Factorize</c>): at <see cref="Event.Init"/>
/// convolutions with at least <c>minChannels</c> in and out channels and linears with at least <c>minFeatures</c> in
/// and out features become two thinner layers, when that has fewer weights. Composer's defaults: 256 and 0.25 for
/// both (a latent size below 1 is a fraction of the smaller side).
/// </summary>
public sealed class Factorize(bool factorizeConvs = true, bool factorizeLinears = true, int minChannels = 256, double latentChannels = 0.25,
    int minFeatures = 256, double latentFeatures = 0.25) : Algorithm
{
    /// <summary>How many layers were factorized.</summary>
    public int Replaced { get; private set; }

    /// <summary>Factorizes the layers and updates the optimizer.</summary>
    [OnEvent(Event.Init)]
    public void Apply(State state) => Replaced = Functional.ApplyFactorization(state.Model, state.Optimizer,
        factorizeConvs, factorizeLinears, minChannels, latentChannels, minFeatures, latentFeatures);
}
