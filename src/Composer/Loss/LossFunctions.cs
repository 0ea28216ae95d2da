using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Loss;

/// <summary>Loss helpers from <c>composer.loss</c>.</summary>
public static class LossFunctions
{
    /// <summary>
    /// Cross entropy that accepts either class indices (<c>[N]</c>) or class probabilities (<c>[N, C]</c>)
    /// as targets, like <c>composer.loss.soft_cross_entropy</c>; smoothed or mixed targets need the latter.
    /// </summary>
    public static Tensor SoftCrossEntropy(Tensor input, Tensor target)
    {
        if (target.dim() == input.dim() && target.is_floating_point())
        {
            using var scope = NewDisposeScope();
            return (-(target * nn.functional.log_softmax(input, 1)).sum(1)).mean().MoveToOuterDisposeScope();
        }
        return nn.functional.cross_entropy(input, target);
    }

    /// <summary>
    /// Class indices as one-hot float rows shaped like <paramref name="input"/>; targets that already are
    /// rows of probabilities are returned as they are (<c>composer.loss.utils.ensure_targets_one_hot</c>).
    /// </summary>
    public static Tensor EnsureTargetsOneHot(Tensor input, Tensor targets)
    {
        if (targets.dim() == input.dim() - 1)
            return nn.functional.one_hot(targets, input.shape[1]).to(input.dtype);
        return targets;
    }
}
