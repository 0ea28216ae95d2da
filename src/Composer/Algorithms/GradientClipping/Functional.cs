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
    /// Adaptive gradient clipping (Brock et al., 2021, arXiv:2102.06171) as Composer computes it: each unit's gradient
    /// is scaled by min(1, threshold × ‖unit's weights‖ / ‖unit's gradient‖), 1 where that is 0/0. There is no floor on
    /// the weights' norm (the paper's ε = 1e-3), so a unit whose weights are all zero (a zero-initialised bias) gets a
    /// zero gradient, as in Composer.
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

    // Composer's _get_clipped_gradient_coeff: unit-wise norms (over every dimension but the first; the whole tensor for
    // vectors and scalars), coefficient (w_norm * threshold / g_norm) with NaN (0/0) as 1, at most 1.
    private static void ClipAdaptively(Tensor parameter, double threshold)
    {
        Tensor grad = parameter.grad!;
        long[] dims = parameter.dim() <= 1 ? [0] : Enumerable.Range(1, (int)parameter.dim() - 1).Select(d => (long)d).ToArray();
        bool keepdim = parameter.dim() > 1;
        Tensor weightNorm = linalg.vector_norm(parameter.detach(), 2, dims, keepdim);
        Tensor gradNorm = linalg.vector_norm(grad, 2, dims, keepdim);
        Tensor coefficient = weightNorm.mul_(threshold).div_(gradNorm).nan_to_num_(nan: 1.0).clamp_(max: 1.0);
        grad.mul_(coefficient);
    }
}
