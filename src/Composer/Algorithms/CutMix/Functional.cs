using TorchSharp;
using static TorchSharp.torch;

namespace Composer;

/// <summary>A box of an image: rows [Top, Bottom) and columns [Left, Right).</summary>
public readonly record struct PixelBox(long Top, long Left, long Bottom, long Right)
{
    /// <summary>The number of pixels inside.</summary>
    public long Area => Math.Max(0, Bottom - Top) * Math.Max(0, Right - Left);
}

public static partial class Functional
{
    /// <summary>
    /// CutMix (Yun et al., 2019, "CutMix: Regularization Strategy to Train Strong Classifiers with Localizable
    /// Features", arXiv:1905.04899): pastes the same box from another image of the batch into each image.
    /// </summary>
    /// <param name="input">Images [N, C, H, W].</param>
    /// <param name="target">Targets, permuted like the pasted images.</param>
    /// <param name="alpha">The Beta distribution's parameter for the kept share λ (Composer's default 1).</param>
    /// <param name="indices">The permutation; random when omitted.</param>
    /// <param name="box">The box; drawn for λ ~ Beta(alpha, alpha) as Composer's <c>_rand_bbox</c> when omitted.</param>
    /// <returns>
    /// The mixed images, the permuted targets, and λ, the share of each image that is its own (1 − box area / image
    /// area): mix targets as <c>λ·y + (1 − λ)·y[indices]</c>.
    /// </returns>
    public static (Tensor Input, Tensor PermutedTarget, double Lambda) CutMixBatch(
        Tensor input, Tensor target, double alpha = 1.0, Tensor? indices = null, PixelBox? box = null)
    {
        RequireImages(input, "CutMix");
        long height = input.shape[2], width = input.shape[3];
        PixelBox cut = box ?? RandomBox(height, width, 1 - MixUpCoefficientUnfolded(alpha));
        using var scope = NewDisposeScope();
        Tensor permutation = indices ?? randperm(input.shape[0], device: input.device);
        Tensor mixed = input.clone();
        long rows = cut.Bottom - cut.Top, cols = cut.Right - cut.Left;
        if (rows > 0 && cols > 0)
        {
            Tensor pasted = input.index_select(0, permutation).narrow(2, cut.Top, rows).narrow(3, cut.Left, cols);
            mixed.narrow(2, cut.Top, rows).narrow(3, cut.Left, cols).copy_(pasted);
        }
        double lambda = 1.0 - (double)cut.Area / (height * width);
        return (mixed.MoveToOuterDisposeScope(), target.index_select(0, permutation).MoveToOuterDisposeScope(), lambda);
    }

    /// <summary>
    /// A box covering about <paramref name="cutShare"/> of an image, centred uniformly and clipped at the border,
    /// as Composer's <c>_rand_bbox</c>: sides ⌊H·√share⌋ × ⌊W·√share⌋.
    /// </summary>
    public static PixelBox RandomBox(long height, long width, double cutShare)
    {
        double ratio = Math.Sqrt(Math.Clamp(cutShare, 0, 1));
        long cutH = (long)(height * ratio), cutW = (long)(width * ratio);
        using var scope = NewDisposeScope();
        long cy = randint(0, height, [1]).item<long>(), cx = randint(0, width, [1]).item<long>();
        return new PixelBox(
            Math.Clamp(cy - cutH / 2, 0, height), Math.Clamp(cx - cutW / 2, 0, width),
            Math.Clamp(cy + cutH / 2, 0, height), Math.Clamp(cx + cutW / 2, 0, width));
    }

    // λ ~ Beta(alpha, alpha), not folded to at least 1/2 as MixUp's weight is.
    private static double MixUpCoefficientUnfolded(double alpha)
    {
        if (!(alpha > 0)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "CutMix's alpha must be positive.");
        using var scope = NewDisposeScope();
        Tensor gammas = _standard_gamma(full(2, alpha, float64));
        return (gammas[0] / gammas.sum()).item<double>();
    }
}
