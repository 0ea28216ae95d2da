using static TorchSharp.torch;
using Composer.Core;

namespace Composer.Algorithms;

/// <summary>
/// Trains on smaller images early and full-size images at the end, like
/// <c>composer.algorithms.ProgressiveResizing</c>. See <see cref="Functional.ProgressiveResizingScale"/> and
/// <see cref="Functional.ResizeBatch(Tensor, Tensor, double, ResizeMode, bool)"/>.
/// </summary>
/// <remarks>
/// Touvron et al., 2019 (FixRes, arXiv:1906.06423) and fast.ai's progressive resizing. Composer's defaults: resize,
/// initial scale 0.5, delay 0.5, fine-tune the last 0.2, widths in steps of 4. The model must accept any size
/// (adaptive pooling does).
/// </remarks>
public sealed class ProgressiveResizing : Algorithm
{
    /// <summary>Creates the algorithm.</summary>
    public ProgressiveResizing(ResizeMode mode = ResizeMode.Resize, double initialScale = 0.5, double delayFraction = 0.5,
        double finetuneFraction = 0.2, int sizeIncrement = 4)
    {
        if (!(initialScale > 0 && initialScale <= 1)) throw new ArgumentOutOfRangeException(nameof(initialScale), initialScale, "The initial scale must be in (0, 1].");
        if (delayFraction < 0 || finetuneFraction < 0 || delayFraction + finetuneFraction > 1)
            throw new ArgumentException($"The delay ({delayFraction}) and fine-tune ({finetuneFraction}) fractions must be non-negative and add up to at most 1.");
        if (sizeIncrement < 1) throw new ArgumentOutOfRangeException(nameof(sizeIncrement), sizeIncrement, "The size increment is at least 1 pixel.");
        Mode = mode;
        InitialScale = initialScale;
        DelayFraction = delayFraction;
        FinetuneFraction = finetuneFraction;
        SizeIncrement = sizeIncrement;
    }

    /// <summary>Resize or crop.</summary>
    public ResizeMode Mode { get; }
    /// <summary>The scale at the start.</summary>
    public double InitialScale { get; }
    /// <summary>The share of training at the initial scale.</summary>
    public double DelayFraction { get; }
    /// <summary>The share of training at the end at full size.</summary>
    public double FinetuneFraction { get; }
    /// <summary>Widths are multiples of this many pixels.</summary>
    public int SizeIncrement { get; }

    /// <summary>
    /// Resize the targets with the inputs (Composer's <c>resize_targets</c>), for segmentation masks; class labels are
    /// left as they are when false (the default).
    /// </summary>
    public bool ResizeTargets { get; init; }

    /// <summary>The scale of the last batch.</summary>
    public double Scale { get; private set; } = 1;

    /// <summary>Resizes the batch's images to the scale of this point of training.</summary>
    [OnEvent(Event.AfterDataloader)]
    [Rewrites(Rewrite.Inputs)]
    [Rewrites(Rewrite.Targets)]
    public void Resize(State state)
    {
        Scale = Functional.ProgressiveResizingScale(state.Progress, state.Batch.Inputs.shape[3],
            InitialScale, DelayFraction, FinetuneFraction, SizeIncrement);
        if (Scale >= 1) return;
        if (!ResizeTargets)
        {
            state.Batch = state.Batch with { Inputs = Functional.ResizeBatch(state.Batch.Inputs, Scale, Mode) };
            return;
        }
        (Tensor inputs, Tensor targets) = Functional.ResizeBatch(state.Batch.Inputs, state.Batch.Targets, Scale, Mode, resizeTargets: true);
        state.Batch = state.Batch with { Inputs = inputs, Targets = targets };
    }
}
