using Composer.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Algorithms;

/// <summary>
/// A layer replaced by two thinner ones, the first into the latent size and the second out of it, started from the
/// original weight's truncated SVD (<see cref="Functional.FactorizeMatrix"/>): W ≈ (U_k √S_k)(√S_k V_kᵀ).
/// </summary>
public abstract class FactorizedLayer : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> first;
    private readonly nn.Module<Tensor, Tensor> second;

    /// <summary>Holds the two layers; held as modules, so that later surgery can replace them.</summary>
    protected FactorizedLayer(string name, (nn.Module<Tensor, Tensor> First, nn.Module<Tensor, Tensor> Second) layers) : base(name)
    {
        (first, second) = layers;
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return second.call(first.call(input)).MoveToOuterDisposeScope();
    }

    /// <summary>Sets the two layers' weights from the SVD factors of <paramref name="matrix"/>, and the bias of the second.</summary>
    protected static void LoadFactors(Tensor matrix, long rank, Parameter down, Parameter up, Parameter? upBias, Tensor? bias)
    {
        (Tensor downWeight, Tensor upWeight) = Functional.FactorizeMatrix(matrix, rank);
        using (no_grad())
        {
            down.copy_(downWeight.reshape(down.shape));
            up.copy_(upWeight.reshape(up.shape));
            if (bias is not null) upBias!.copy_(bias);
        }
    }
}

/// <summary>A linear layer as two thinner ones through <see cref="LatentFeatures"/> features, Composer's <c>FactorizedLinear</c>.</summary>
public sealed class FactorizedLinear : FactorizedLayer
{
    /// <summary>Factorizes <paramref name="linear"/> with <paramref name="latentFeatures"/> features in between.</summary>
    public FactorizedLinear(Linear linear, long latentFeatures) : base(nameof(FactorizedLinear), Layers(linear, latentFeatures)) =>
        LatentFeatures = latentFeatures;

    /// <summary>The features in between.</summary>
    public long LatentFeatures { get; }

    private static (nn.Module<Tensor, Tensor>, nn.Module<Tensor, Tensor>) Layers(Linear linear, long latentFeatures)
    {
        ArgumentNullException.ThrowIfNull(linear);
        Linear down = nn.Linear(linear.in_features, latentFeatures, hasBias: false, device: linear.weight!.device);
        Linear up = nn.Linear(latentFeatures, linear.out_features, hasBias: linear.bias is not null, device: linear.weight.device);
        LoadFactors(linear.weight, latentFeatures, down.weight!, up.weight!, up.bias, linear.bias);
        return (down, up);
    }
}

/// <summary>
/// A convolution as a convolution to <see cref="LatentChannels"/> channels (same kernel, stride and padding) followed by
/// a 1x1 convolution, Composer's <c>FactorizedConv2d</c>; the kernel is factorized viewed as an [out, in·kh·kw] matrix.
/// </summary>
public sealed class FactorizedConv2d : FactorizedLayer
{
    /// <summary>Factorizes <paramref name="conv"/> (groups 1) with <paramref name="latentChannels"/> channels in between.</summary>
    public FactorizedConv2d(Conv2d conv, long latentChannels) : base(nameof(FactorizedConv2d), Layers(conv, latentChannels)) =>
        LatentChannels = latentChannels;

    /// <summary>The channels in between.</summary>
    public long LatentChannels { get; }

    private static (nn.Module<Tensor, Tensor>, nn.Module<Tensor, Tensor>) Layers(Conv2d conv, long latentChannels)
    {
        ArgumentNullException.ThrowIfNull(conv);
        if (conv.groups != 1) throw new NotSupportedException("Only ungrouped convolutions are factorized.");
        Device device = conv.weight!.device;
        Conv2d down = nn.Conv2d(conv.in_channels, latentChannels, conv.kernel_size[0], stride: conv.stride[0], padding: conv.padding![0],
            dilation: conv.dilation[0], bias: false, device: device);
        Conv2d up = nn.Conv2d(latentChannels, conv.out_channels, 1, bias: conv.bias is not null, device: device);
        LoadFactors(conv.weight.reshape(conv.out_channels, -1), latentChannels, down.weight!, up.weight!, up.bias, conv.bias);
        return (down, up);
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
