using Composer.Core;
using Composer.Surgery;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Algorithms;

/// <summary>
/// Layer normalization in the autocast dtype, Composer's <c>LPLayerNorm</c>: under autocast the input, weight and bias
/// are cast to autocast's dtype (bfloat16 or float16) and normalized with autocast off, so the result stays in that dtype
/// (CUDA's autocast would otherwise run layer_norm in float32); outside autocast it is the plain layer norm.
/// </summary>
public sealed class LowPrecisionLayerNormModule : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm;

    /// <summary>Wraps <paramref name="layerNorm"/> (its parameters stay the same).</summary>
    public LowPrecisionLayerNormModule(LayerNorm layerNorm) : base(nameof(LowPrecisionLayerNormModule))
    {
        norm = layerNorm ?? throw new ArgumentNullException(nameof(layerNorm));
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        if (Autocast.ActiveDtype(input.device_type) is not ScalarType dtype) return norm.call(input);
        using var scope = NewDisposeScope();
        Tensor? weight = norm.weight?.to_type(dtype), bias = norm.bias?.to_type(dtype);
        using (Autocast.Disable(input.device_type))
            return nn.functional.layer_norm(input.to_type(dtype), norm.normalized_shape, weight, bias, norm.eps).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Low Precision LayerNorm (Composer's <c>composer.algorithms.LowPrecisionLayerNorm</c>): at <see cref="Event.Init"/>
/// every <c>LayerNorm</c> becomes a <see cref="LowPrecisionLayerNormModule"/>, which normalizes in the autocast dtype to
/// save memory bandwidth. As in Composer it applies to mixed precision only: under <see cref="Precision.Fp32"/> it
/// replaces nothing and says so on standard error.
/// </summary>
public sealed class LowPrecisionLayerNorm : Algorithm
{
    /// <summary>How many layer norms were replaced.</summary>
    public int Replaced { get; private set; }

    /// <summary>Replaces the layer norms.</summary>
    [OnEvent(Event.Init)]
    public void Apply(State state) => Replaced = Functional.ApplyLowPrecisionLayerNorm(state.Model, state.Precision);
}
