using Composer.Algorithms.Augmentations;
using Composer.Core;

namespace Composer.Algorithms;

/// <summary>
/// Replaces each training image by an AugMix combination of augmentation chains, like
/// <c>composer.algorithms.AugMix</c>. See <see cref="Functional.AugMixImage"/>.
/// </summary>
/// <remarks>
/// Hendrycks et al., 2020 (arXiv:1912.02781). Composer's defaults: severity 3, depth −1 (1 to 3), width 3, alpha 1,
/// all operations. Composer applies it as a dataset transform on PIL images at FIT_START; here it runs on each
/// batch after loading (the same result per sample, on the CPU or GPU). Give the normalization's mean and std when
/// the batch is normalized: the operations work on [0, 1] pixels. The Jensen-Shannon consistency loss is not included.
/// </remarks>
public sealed class AugMix(int severity = 3, int depth = -1, int width = 3, double alpha = 1.0,
    AugmentationSet augmentationSet = AugmentationSet.All, double mean = 0, double std = 1) : Algorithm
{
    /// <summary>The operations' severity, 0 to 10.</summary>
    public int Severity { get; } = severity is >= 0 and <= 10 ? severity : throw new ArgumentOutOfRangeException(nameof(severity), severity, "Severity is 0 to 10.");
    /// <summary>Operations per chain; −1 draws 1 to 3.</summary>
    public int Depth { get; } = depth == -1 || depth > 0 ? depth : throw new ArgumentOutOfRangeException(nameof(depth), depth, "Depth is −1 or positive.");
    /// <summary>Chains per image.</summary>
    public int Width { get; } = width > 0 ? width : throw new ArgumentOutOfRangeException(nameof(width), width, "Width is at least 1.");
    /// <summary>The Dirichlet and Beta parameter.</summary>
    public double Alpha { get; } = alpha > 0 ? alpha : throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "Alpha must be positive.");

    /// <summary>Augments every image of the batch.</summary>
    [OnEvent(Event.AfterDataloader)]
    [Rewrites(Rewrite.Inputs)]
    public void Augment(State state) => state.Batch = state.Batch with
    {
        Inputs = Functional.AugmentBatch(state.Batch.Inputs, image => Functional.AugMixImage(image, Severity, Depth, Width, Alpha, augmentationSet), mean, std),
    };
}
