using Composer.Core;
using static TorchSharp.torch;

namespace Composer.Algorithms;

/// <summary>
/// Trains on the samples with the highest losses, like <c>composer.algorithms.SelectiveBackprop</c>: after the
/// batch is loaded, a forward pass without gradients ranks the samples and only a share of them goes through the
/// training step. See <see cref="Functional.SelectUsingLoss"/>.
/// </summary>
/// <remarks>
/// Jiang et al., 2019 (arXiv:1910.00762). Composer's defaults: start 0.5, end 0.9, keep 0.5, scale factor 1,
/// interrupt 2. It runs first among the algorithms at <see cref="Event.AfterDataloader"/> (a declared
/// constraint), so the others see the selected batch. Composer means to do the same, but its FILO pass reverses the
/// order on AFTER_DATALOADER after SelectiveBackprop is sorted first, so there it runs last.
/// </remarks>
public sealed class SelectiveBackprop : Algorithm
{
    private readonly Func<Tensor, Tensor, Tensor> _lossPerSample;

    /// <summary>Creates the algorithm.</summary>
    /// <param name="start">When selection starts, as a fraction of training.</param>
    /// <param name="end">When it ends.</param>
    /// <param name="keep">The share of samples kept.</param>
    /// <param name="scaleFactor">Downscale images for the ranking pass when below 1.</param>
    /// <param name="interrupt">Every this many batches one is trained whole (0: never).</param>
    /// <param name="lossPerSample">The loss per sample from (outputs, targets); cross-entropy when omitted.</param>
    public SelectiveBackprop(double start = 0.5, double end = 0.9, double keep = 0.5, double scaleFactor = 1.0, int interrupt = 2,
        Func<Tensor, Tensor, Tensor>? lossPerSample = null)
    {
        if (!(start >= 0 && start <= end && end <= 1)) throw new ArgumentException($"Need 0 <= start <= end <= 1; got start {start}, end {end}.");
        if (!(keep > 0 && keep <= 1)) throw new ArgumentOutOfRangeException(nameof(keep), keep, "The share to keep must be in (0, 1].");
        if (!(scaleFactor > 0 && scaleFactor <= 1)) throw new ArgumentOutOfRangeException(nameof(scaleFactor), scaleFactor, "The scale factor must be in (0, 1].");
        if (interrupt < 0) throw new ArgumentOutOfRangeException(nameof(interrupt), interrupt, "The interrupt is a number of batches, 0 or more.");
        Start = start;
        End = end;
        Keep = keep;
        ScaleFactor = scaleFactor;
        Interrupt = interrupt;
        _lossPerSample = lossPerSample ?? Functional.CrossEntropyPerSample;
    }

    /// <summary>When selection starts.</summary>
    public double Start { get; }
    /// <summary>When selection ends.</summary>
    public double End { get; }
    /// <summary>The share of samples kept.</summary>
    public double Keep { get; }
    /// <summary>The ranking pass's image scale.</summary>
    public double ScaleFactor { get; }
    /// <summary>Every this many batches one is trained whole.</summary>
    public int Interrupt { get; }

    /// <summary>Keeps the samples with the highest losses, before any other algorithm sees the batch.</summary>
    [OnEvent(Event.AfterDataloader, RunsBefore = [typeof(Algorithm)])]
    [Rewrites(Rewrite.Samples)]
    public void SelectSamples(State state)
    {
        if (!Functional.ShouldSelectiveBackprop(state.Progress, state.Timestamp.BatchInEpoch, Start, End, Interrupt)) return;
        state.Batch = Functional.SelectUsingLoss(state.Batch, state.Model, _lossPerSample, Keep, ScaleFactor);
    }
}
