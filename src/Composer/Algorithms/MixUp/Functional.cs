using TorchSharp;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// MixUp (Zhang et al., 2018, "mixup: Beyond Empirical Risk Minimization", arXiv:1710.09412): each input
    /// is mixed with another of the batch, <c>(1 - mixing) * x + mixing * x[indices]</c>.
    /// </summary>
    /// <param name="input">The inputs, samples along the first dimension.</param>
    /// <param name="target">The targets, permuted with the inputs.</param>
    /// <param name="mixing">The weight of the permuted sample; drawn with <see cref="MixUpCoefficient"/> when omitted.</param>
    /// <param name="alpha">The Beta distribution's parameter when <paramref name="mixing"/> is drawn.</param>
    /// <param name="indices">The permutation; a random one when omitted.</param>
    /// <returns>The mixed inputs, the permuted targets (mix them into the loss or the targets), and the mixing weight.</returns>
    public static (Tensor Input, Tensor PermutedTarget, double Mixing) MixUpBatch(
        Tensor input, Tensor target, double? mixing = null, double alpha = 0.2, Tensor? indices = null)
    {
        double weight = mixing ?? MixUpCoefficient(alpha);
        if (weight is < 0 or > 1 || double.IsNaN(weight))
            throw new ArgumentOutOfRangeException(nameof(mixing), weight, "The mixing weight must be in [0, 1].");
        using var scope = NewDisposeScope();
        Tensor permutation = indices ?? randperm(input.shape[0], device: input.device);
        Tensor mixed = (1.0 - weight) * input + weight * input.index_select(0, permutation);
        Tensor permutedTarget = target.index_select(0, permutation);
        return (mixed.MoveToOuterDisposeScope(), permutedTarget.MoveToOuterDisposeScope(), weight);
    }

    /// <summary>
    /// Draws MixUp's weight <c>min(z, 1 - z)</c> with <c>z ~ Beta(alpha, alpha)</c>, so that the original sample
    /// always dominates (and training accuracy stays meaningful); 0 when <paramref name="alpha"/> is 0.
    /// </summary>
    public static double MixUpCoefficient(double alpha)
    {
        if (alpha < 0 || double.IsNaN(alpha))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "MixUp's alpha must be non-negative.");
        if (alpha == 0) return 0;
        using var scope = NewDisposeScope();
        // Beta(a, a) as X / (X + Y) with X, Y ~ Gamma(a), from torch's global generator.
        Tensor concentration = full(2, alpha, float64);
        Tensor gammas = _standard_gamma(concentration);
        double z = (gammas[0] / gammas.sum()).item<double>();
        return Math.Min(z, 1 - z);
    }

    /// <summary>
    /// The targets of a mixed batch, <c>ownShare·y + (1 − ownShare)·y[indices]</c> as class probabilities: how MixUp
    /// and CutMix mix targets (MixUp's own share is 1 − mixing, CutMix's is λ).
    /// </summary>
    public static Tensor MixTargets(Tensor outputs, Tensor target, Tensor permutedTarget, double ownShare)
    {
        using var scope = NewDisposeScope();
        Tensor own = Loss.LossFunctions.EnsureTargetsOneHot(outputs, target);
        Tensor other = Loss.LossFunctions.EnsureTargetsOneHot(outputs, permutedTarget);
        return (ownShare * own + (1 - ownShare) * other).MoveToOuterDisposeScope();
    }

    /// <summary>The loss of a mixed batch, <c>ownShare·loss + (1 − ownShare)·loss(outputs, y[indices])</c>: MixUp's and CutMix's <c>interpolate_loss</c>.</summary>
    /// <param name="model">The model whose loss is taken.</param>
    /// <param name="outputs">The model's outputs on the mixed batch.</param>
    /// <param name="batch">The batch.</param>
    /// <param name="loss">The loss against the batch's own targets.</param>
    /// <param name="permutedTarget">The targets of the samples mixed in.</param>
    /// <param name="ownShare">The weight of each sample's own part.</param>
    /// <param name="targetKey">The key the permuted targets go under for the model's loss; null for the batch's targets key.</param>
    public static Tensor InterpolateLoss(Models.ComposerModel model, Tensor outputs, Data.Batch batch, Tensor loss, Tensor permutedTarget, double ownShare, string? targetKey = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Tensor permutedLoss = model.Loss(outputs, batch.With(targetKey ?? batch.TargetsKey, permutedTarget));
        return ownShare * loss + (1 - ownShare) * permutedLoss;
    }
}
