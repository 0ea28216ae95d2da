using Composer.Algorithms.Augmentations;
using Composer.Core;

namespace Composer.Algorithms;

/// <summary>
/// Applies RandAugment to each training image, like <c>composer.algorithms.RandAugment</c>. See
/// <see cref="Functional.RandAugmentImage"/>.
/// </summary>
/// <remarks>
/// Cubuk et al., 2020 (arXiv:1909.13719). Composer's defaults: severity 9, depth 2, all operations. Composer applies it
/// as a dataset transform at FIT_START; here it runs on each batch after loading. Give the normalization's mean and
/// std when the batch is normalized.
/// </remarks>
public sealed class RandAugment(int severity = 9, int depth = 2, AugmentationSet augmentationSet = AugmentationSet.All,
    double mean = 0, double std = 1) : Algorithm
{
    /// <summary>The operations' severity, 0 to 10.</summary>
    public int Severity { get; } = severity is >= 0 and <= 10 ? severity : throw new ArgumentOutOfRangeException(nameof(severity), severity, "Severity is 0 to 10.");
    /// <summary>Operations per image.</summary>
    public int Depth { get; } = depth > 0 ? depth : throw new ArgumentOutOfRangeException(nameof(depth), depth, "Depth is at least 1.");

    /// <summary>Augments every image of the batch.</summary>
    [OnEvent(Event.AfterDataloader)]
    [Rewrites(Rewrite.Inputs)]
    public void Augment(State state) => state.Batch = state.Batch with
    {
        Inputs = Functional.AugmentBatch(state.Batch.Inputs, image => Functional.RandAugmentImage(image, Severity, Depth, augmentationSet), mean, std),
    };
}
