using Composer.Algorithms.Augmentations;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// RandAugment on one image [C, H, W] in [0, 1] (Cubuk et al., 2020, "RandAugment: Practical automated data
    /// augmentation with a reduced search space", arXiv:1909.13719), as Composer's <c>randaugment_image</c>:
    /// <paramref name="depth"/> operations drawn uniformly, each at <paramref name="severity"/>.
    /// </summary>
    public static Tensor RandAugmentImage(Tensor image, int severity = 9, int depth = 2, AugmentationSet augmentationSet = AugmentationSet.All)
    {
        RequireImage(image, "RandAugment");
        var operations = AugmentationPrimitives.Of(augmentationSet);
        using var scope = NewDisposeScope();
        Tensor result = image;
        for (int i = 0; i < depth; i++)
            result = operations[AugmentationPrimitives.Choose(operations.Count)].Apply(result, severity);
        return result.MoveToOuterDisposeScope();
    }
}
