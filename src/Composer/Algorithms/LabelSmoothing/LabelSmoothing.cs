using Composer.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Algorithms;

/// <summary>
/// Trains against smoothed targets: before the loss, the targets become
/// <c>(1 - smoothing) * one_hot + smoothing / C</c>; after it, the original targets come back so metrics
/// see them. See <see cref="Functional.SmoothLabels"/>.
/// </summary>
/// <remarks>Szegedy et al., 2016 (arXiv:1512.00567). Composer's default smoothing is 0.1.</remarks>
public sealed class LabelSmoothing : Algorithm
{
    private Tensor? _originalTargets;

    /// <summary>Creates the algorithm.</summary>
    /// <param name="smoothing">The probability mass spread uniformly over the classes, in <c>[0, 1]</c> (1 ignores the targets).</param>
    public LabelSmoothing(double smoothing = 0.1)
    {
        if (smoothing is < 0 or > 1 || double.IsNaN(smoothing))
            throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "Label smoothing must be in [0, 1].");
        Smoothing = smoothing;
    }

    /// <summary>The probability mass spread uniformly over the classes.</summary>
    public double Smoothing { get; }

    /// <summary>The key of the targets smoothed; null for the batch's <see cref="Data.Batch.TargetsKey"/> (Composer's <c>target_key</c>).</summary>
    public string? TargetKey { get; init; }

    /// <summary>Replaces the targets with smoothed ones.</summary>
    [OnEvent(Event.BeforeLoss)]
    [Rewrites(Rewrite.Targets)]
    public void SmoothTargets(State state)
    {
        string key = TargetKey ?? state.Batch.TargetsKey;
        _originalTargets = state.Batch.Require(key, nameof(LabelSmoothing));
        state.Batch = state.Batch.With(key, Functional.SmoothLabels(state.Outputs, _originalTargets, Smoothing));
    }

    /// <summary>Puts the original targets back.</summary>
    [OnEvent(Event.AfterLoss)]
    public void RestoreTargets(State state)
    {
        if (_originalTargets is null) return;
        state.Batch = state.Batch.With(TargetKey ?? state.Batch.TargetsKey, _originalTargets);
        _originalTargets = null;
    }
}
