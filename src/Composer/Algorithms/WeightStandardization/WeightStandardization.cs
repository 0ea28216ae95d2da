using Composer.Core;
using Composer.Surgery;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Algorithms;

/// <summary>
/// A convolution whose kernel is standardized on every call, Composer's weight-standardization parametrization:
/// each output channel's weights have their mean subtracted and are divided by √(variance + 1e-10).
/// TorchSharp has no parametrizations, so this wraps the convolution and uses its weights.
/// </summary>
public sealed class StandardizedConv2d : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;

    /// <summary>Wraps <paramref name="convolution"/>.</summary>
    public StandardizedConv2d(Conv2d convolution) : base(nameof(StandardizedConv2d))
    {
        conv = convolution ?? throw new ArgumentNullException(nameof(convolution));
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return nn.functional.conv2d(input, Functional.StandardizeWeights(conv.weight!), conv.bias, strides: conv.stride, padding: conv.padding,
            dilation: conv.dilation, groups: conv.groups).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Weight Standardization (Qiao et al., 2019, arXiv:1903.10520), as <c>composer.algorithms.WeightStandardization</c>:
/// at <see cref="Event.Init"/> every <c>Conv2d</c> but the last <c>nLastLayersIgnore</c> (default 0) standardizes its kernel.
/// </summary>
public sealed class WeightStandardization(int nLastLayersIgnore = 0) : Algorithm
{
    /// <summary>How many convolutions were standardized.</summary>
    public int Replaced { get; private set; }

    /// <summary>Wraps the convolutions.</summary>
    [OnEvent(Event.Init)]
    public void Apply(State state) => Replaced = Functional.ApplyWeightStandardization(state.Model, nLastLayersIgnore);
}
