using Composer.Loss;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// Label smoothing (Szegedy et al., 2016, "Rethinking the Inception Architecture", arXiv:1512.00567):
    /// <c>targets * (1 - smoothing) + smoothing / C</c>, with class-index targets made one-hot first.
    /// </summary>
    /// <param name="logits">The model outputs, <c>[N, C]</c>; they give the class count and dtype.</param>
    /// <param name="targets">Class indices <c>[N]</c> or probabilities <c>[N, C]</c>.</param>
    /// <param name="smoothing">The probability mass spread uniformly over the classes, in <c>[0, 1]</c> (1 ignores the targets).</param>
    public static Tensor SmoothLabels(Tensor logits, Tensor targets, double smoothing = 0.1)
    {
        if (smoothing is < 0 or > 1 || double.IsNaN(smoothing))
            throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "Label smoothing must be in [0, 1].");
        using var scope = NewDisposeScope();
        Tensor oneHot = LossFunctions.EnsureTargetsOneHot(logits, targets);
        long classes = logits.shape[1];
        return (oneHot * (1.0 - smoothing) + smoothing / classes).MoveToOuterDisposeScope();
    }
}
