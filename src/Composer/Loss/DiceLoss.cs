using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Loss;

/// <summary>
/// The Dice loss of segmentation (Milletari et al., 2016, arXiv:1606.04797), as Composer's <c>DiceLoss</c> (derived from
/// MONAI's): 1 − (2·|X∩Y| + ε) / (|X| + |Y| + ε) per sample and class, with ε = 1e-5, over the spatial dimensions.
/// Targets are class indices <c>[N, H, W]</c> or probabilities like the input <c>[N, C, H, W]</c>; pixels whose target
/// has no class (an index below 0) leave the prediction out.
/// </summary>
/// <param name="sigmoid">Apply a sigmoid to the input first.</param>
/// <param name="softmax">Apply a softmax over the classes first (not with one class).</param>
/// <param name="squaredPred">Square inputs and targets in the union.</param>
/// <param name="jaccard">The Jaccard index (soft IoU) instead of Dice.</param>
/// <param name="batch">Sum over the batch before dividing, instead of a value per sample.</param>
/// <param name="ignoreAbsentClasses">Leave out the classes absent from the targets.</param>
/// <param name="reduction">Mean (default), sum, or none (a value per sample and class).</param>
public sealed class DiceLoss(bool sigmoid = false, bool softmax = false, bool squaredPred = false, bool jaccard = false,
    bool batch = false, bool ignoreAbsentClasses = false, nn.Reduction reduction = nn.Reduction.Mean) : nn.Module<Tensor, Tensor, Tensor>(nameof(DiceLoss))
{
    private readonly bool _sigmoid = !(sigmoid && softmax) ? sigmoid
        : throw new ArgumentException("DiceLoss takes a sigmoid or a softmax, not both.", nameof(softmax));

    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/>.</summary>
    public override Tensor forward(Tensor input, Tensor target)
    {
        using var scope = NewDisposeScope();
        Tensor y = LossFunctions.EnsureTargetsOneHot(input, target);
        Tensor hasTarget = y.sum(1, keepdim: true).ne(0);
        Tensor x = input;
        if (_sigmoid) x = x.sigmoid();
        if (softmax && x.shape[1] > 1) x = x.softmax(1);
        long[] axes = [.. (batch ? new long[] { 0 } : []), .. Enumerable.Range(2, (int)x.dim() - 2).Select(d => (long)d)];
        Tensor intersection = (y * x).sum(axes);
        if (squaredPred)
        {
            y = y.pow(2);
            x = x.pow(2);
        }
        x = hasTarget * x;
        Tensor groundTruth = y.sum(axes), predicted = x.sum(axes);
        Tensor union = groundTruth + predicted;
        if (jaccard) union = 2.0 * (union - intersection);
        const double epsilon = 1e-5;
        Tensor ious = 1.0 - (2.0 * intersection + epsilon) / (union + epsilon);
        if (ignoreAbsentClasses)
            ious = batch ? ious.masked_select(groundTruth.gt(0)) : ious.index_select(1, groundTruth.sum([0L]).gt(0).nonzero().squeeze(1));
        Tensor result = reduction switch
        {
            nn.Reduction.Mean => ious.mean(),
            nn.Reduction.Sum => ious.sum(),
            _ => ious,
        };
        return result.MoveToOuterDisposeScope();
    }
}
