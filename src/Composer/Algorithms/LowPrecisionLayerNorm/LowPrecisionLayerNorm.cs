using Composer.Core;
using Composer.Surgery;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Algorithms;

/// <summary>
/// Layer normalization computed in a lower precision, Composer's <c>LPLayerNorm</c>: the input, weight and bias are cast
/// to <see cref="Precision"/> for the normalization and the result back to the input's type. Composer takes the
/// precision from the active autocast; TorchSharp has no autocast, so it is given (bfloat16 by default, which the CPU
/// runs; float16 layer norm needs a GPU).
/// </summary>
public sealed class LowPrecisionLayerNormModule : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm;

    /// <summary>Wraps <paramref name="layerNorm"/> (its parameters stay the same).</summary>
    public LowPrecisionLayerNormModule(LayerNorm layerNorm, ScalarType precision = ScalarType.BFloat16) : base(nameof(LowPrecisionLayerNormModule))
    {
        norm = layerNorm ?? throw new ArgumentNullException(nameof(layerNorm));
        Precision = precision;
        RegisterComponents();
    }

    /// <summary>The type the normalization is computed in.</summary>
    public ScalarType Precision { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor? weight = norm.weight?.to_type(Precision), bias = norm.bias?.to_type(Precision);
        return nn.functional.layer_norm(input.to_type(Precision), norm.normalized_shape, weight, bias, norm.eps)
            .to_type(input.dtype).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Low Precision LayerNorm (Composer's <c>composer.algorithms.LowPrecisionLayerNorm</c>): at <see cref="Event.Init"/>
/// every <c>LayerNorm</c> computes in <c>precision</c> (bfloat16 by default) to save memory bandwidth.
/// </summary>
public sealed class LowPrecisionLayerNorm(ScalarType precision = ScalarType.BFloat16) : Algorithm
{
    /// <summary>How many layer norms were replaced.</summary>
    public int Replaced { get; private set; }

    /// <summary>Replaces the layer norms.</summary>
    [OnEvent(Event.Init)]
    public void Apply(State state) => Replaced = Functional.ApplyLowPrecisionLayerNorm(state.Model, precision);
}
