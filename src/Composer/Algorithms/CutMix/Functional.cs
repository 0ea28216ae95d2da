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
    /// <param name="length">
    /// Instead of alpha, the box's nominal side as a share of the image's (Composer's <c>length</c>). As in Composer's code,
    /// λ is then (⌊length·W⌋·⌊length·H⌋)/(H·W) and the box drawn for it, so its sides are √(1 − λ) of the image's.
    /// </param>
    /// <param name="uniformSampling">Draw the box's centre so every pixel is equally likely to be cut (see <see cref="RandomBox"/>).</param>
    /// <returns>
    /// The mixed images, the permuted targets, and λ, the share of each image that is its own (1 − box area / image
    /// area): mix targets as <c>λ·y + (1 − λ)·y[indices]</c>.
    /// </returns>
    /// <exception cref="ArgumentException">Both a box and a length.</exception>
    public static (Tensor Input, Tensor PermutedTarget, double Lambda) CutMixBatch(
        Tensor input, Tensor target, double alpha = 1.0, Tensor? indices = null, PixelBox? box = null, double? length = null,
        bool uniformSampling = false)
    {
        RequireImages(input, "CutMix");
        if (box is not null && length is not null)
            throw new ArgumentException($"Give CutMix a box or a length, not both; got {box} and {length}.", nameof(length));
        long height = input.shape[2], width = input.shape[3];
        double lambda = length is double side
            ? (double)((long)(side * width) * (long)(side * height)) / (height * width)
            : MixUpCoefficientUnfolded(alpha);
        PixelBox cut = box ?? RandomBox(height, width, 1 - lambda, uniformSampling: uniformSampling);
        using var scope = NewDisposeScope();
        Tensor permutation = indices ?? randperm(input.shape[0], device: input.device);
        Tensor mixed = input.clone();
        long rows = cut.Bottom - cut.Top, cols = cut.Right - cut.Left;
        if (rows > 0 && cols > 0)
        {
            Tensor pasted = input.index_select(0, permutation).narrow(2, cut.Top, rows).narrow(3, cut.Left, cols);
            mixed.narrow(2, cut.Top, rows).narrow(3, cut.Left, cols).copy_(pasted);
        }
        double adjusted = 1.0 - (double)cut.Area / (height * width);
        return (mixed.MoveToOuterDisposeScope(), target.index_select(0, permutation).MoveToOuterDisposeScope(), adjusted);
    }

    /// <summary>
    /// A box covering about <paramref name="cutShare"/> of an image, as Composer's <c>_rand_bbox</c>: sides
    /// ⌊H·√share⌋ × ⌊W·√share⌋ around a centre, clipped at the border. The centre is given, or drawn uniformly over the
    /// image; with <paramref name="uniformSampling"/> it is drawn from one half-side beyond each border, so that every
    /// pixel is equally likely to be inside the box (Composer's <c>uniform_sampling</c>).
    /// </summary>
    /// <param name="height">The image's height.</param>
    /// <param name="width">The image's width.</param>
    /// <param name="cutShare">The share of the image to cut, 1 − λ.</param>
    /// <param name="centerRow">The centre's row; drawn when null.</param>
    /// <param name="centerColumn">The centre's column; drawn when null.</param>
    /// <param name="uniformSampling">Draw centres beyond the borders too.</param>
    public static PixelBox RandomBox(long height, long width, double cutShare, long? centerRow = null, long? centerColumn = null,
        bool uniformSampling = false)
    {
        double ratio = Math.Sqrt(Math.Clamp(cutShare, 0, 1));
        long cutH = (long)(height * ratio), cutW = (long)(width * ratio);
        long cy = centerRow ?? Center(height, cutH, uniformSampling);
        long cx = centerColumn ?? Center(width, cutW, uniformSampling);
        return new PixelBox(
            Math.Clamp(cy - cutH / 2, 0, height), Math.Clamp(cx - cutW / 2, 0, width),
            Math.Clamp(cy + cutH / 2, 0, height), Math.Clamp(cx + cutW / 2, 0, width));
    }

    // Uniform over [0, side), or over [⌊-cut/2⌋, side + ⌊cut/2⌋) with uniform sampling (Python's floor division).
    private static long Center(long side, long cut, bool uniformSampling)
    {
        long low = uniformSampling ? -((cut + 1) / 2) : 0, high = uniformSampling ? side + cut / 2 : side;
        using var scope = NewDisposeScope();
        return randint(low, high, [1]).item<long>();
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
