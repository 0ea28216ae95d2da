using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer;

/// <summary>How <see cref="Functional.ApplyGradientClipping"/> limits the gradients.</summary>
public enum ClippingType
{
    /// <summary>Scale all gradients together so their global L2 norm is at most the threshold (<c>clip_grad_norm_</c>).</summary>
    Norm,
    /// <summary>Clamp each gradient element to [-threshold, threshold] (<c>clip_grad_value_</c>).</summary>
    Value,
    /// <summary>
    /// Adaptive gradient clipping (Brock et al., 2021, arXiv:2102.06171): scale each unit's gradient so its norm is
    /// at most threshold × max(‖unit's weights‖, 1e-3).
    /// </summary>
    Adaptive,
}

public static partial class Functional
{
    /// <summary>
    /// Clips the gradients of <paramref name="parameters"/> in place, like Composer's <c>apply_gradient_clipping</c>.
    /// Parameters without a gradient are left alone.
    /// </summary>
    /// <param name="parameters">The parameters whose <c>grad</c> to clip.</param>
    /// <param name="type">Norm, value or adaptive.</param>
    /// <param name="threshold">The maximum norm, the maximum absolute value, or the adaptive ratio (Composer: 0.01 is typical for adaptive).</param>
    public static void ApplyGradientClipping(IEnumerable<Parameter> parameters, ClippingType type, double threshold)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(threshold > 0))
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The clipping threshold must be positive.");
        Parameter[] withGrad = parameters.Where(p => p.grad is not null).ToArray();
        if (withGrad.Length == 0) return;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        switch (type)
        {
            case ClippingType.Norm:
                nn.utils.clip_grad_norm_(withGrad, threshold);
                break;
            case ClippingType.Value:
                nn.utils.clip_grad_value_(withGrad, threshold);
                break;
            case ClippingType.Adaptive:
                foreach (Parameter parameter in withGrad)
                    ClipAdaptively(parameter, threshold);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "Use Norm, Value or Adaptive.");
        }
    }

    // TorchSharp has no AGC: unit-wise norms (over every dimension but the first; the whole tensor for vectors and scalars).
    private static void ClipAdaptively(Tensor parameter, double threshold, double eps = 1e-3)
    {
        Tensor grad = parameter.grad!;
        long[] dims = parameter.dim() <= 1 ? [] : Enumerable.Range(1, (int)parameter.dim() - 1).Select(d => (long)d).ToArray();
        Tensor weightNorm = UnitNorm(parameter, dims);
        Tensor gradNorm = UnitNorm(grad, dims);
        Tensor maxNorm = weightNorm.clamp_min(eps) * threshold;
        // Scale only the units whose gradient is too large; the others keep a factor of 1.
        Tensor scale = where(gradNorm > maxNorm, maxNorm / gradNorm.clamp_min(1e-6), ones_like(gradNorm));
        grad.mul_(scale);
    }

    private static Tensor UnitNorm(Tensor t, long[] dims) =>
        dims.Length == 0 ? t.norm() : t.pow(2).sum(dims, keepdim: true).sqrt();
}
