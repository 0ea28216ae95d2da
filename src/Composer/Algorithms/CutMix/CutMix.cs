using Composer.Core;
using static TorchSharp.torch;

namespace Composer.Algorithms;

/// <summary>
/// Pastes a box from another image of the batch into each image before the forward pass, and mixes the targets
/// (or, with <c>interpolateLoss</c>, the losses) by the pasted area, like <c>composer.algorithms.CutMix</c>.
/// See <see cref="Functional.CutMixBatch"/>.
/// </summary>
/// <remarks>
/// Yun et al., 2019 (arXiv:1905.04899). Composer's default alpha: 1. Combined with <see cref="MixUp"/>, both mix
/// the same batch: the generator warns (CMP0011), as Composer does at run time.
/// </remarks>
public sealed class CutMix : Algorithm
{
    private double _lambda = 1;
    private Tensor? _permutedTarget;

    /// <summary>Creates the algorithm.</summary>
    /// <param name="alpha">The Beta distribution's parameter; positive.</param>
    /// <param name="interpolateLoss">Mix the two losses instead of the targets.</param>
    public CutMix(double alpha = 1.0, bool interpolateLoss = false)
    {
        if (!(alpha > 0)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "CutMix's alpha must be positive.");
        Alpha = alpha;
        InterpolateLoss = interpolateLoss;
    }

    /// <summary>The Beta distribution's parameter.</summary>
    public double Alpha { get; }

    /// <summary>Whether the loss, rather than the targets, is interpolated.</summary>
    public bool InterpolateLoss { get; }

    /// <summary>The key of the tensor whose images get boxes pasted; null for the batch's <see cref="Data.Batch.InputsKey"/> (Composer's <c>input_key</c>).</summary>
    public string? InputKey { get; init; }

    /// <summary>The key of the targets mixed by area; null for the batch's <see cref="Data.Batch.TargetsKey"/> (Composer's <c>target_key</c>).</summary>
    public string? TargetKey { get; init; }

    /// <summary>Draw box centres so every pixel is equally likely to be cut (Composer's <c>uniform_sampling</c>; off by default).</summary>
    public bool UniformSampling { get; init; }

    /// <summary>The share of each image that is its own in the current batch.</summary>
    public double Lambda => _lambda;

    /// <summary>Pastes the boxes.</summary>
    [OnEvent(Event.BeforeForward)]
    [Rewrites(Rewrite.Inputs)]
    public void PasteBoxes(State state)
    {
        string inputKey = InputKey ?? state.Batch.InputsKey;
        Tensor targets = state.Batch.Require(TargetKey ?? state.Batch.TargetsKey, nameof(CutMix));
        (Tensor input, Tensor permuted, double lambda) =
            Functional.CutMixBatch(state.Batch.Require(inputKey, nameof(CutMix)), targets, Alpha, uniformSampling: UniformSampling);
        _lambda = lambda;
        _permutedTarget = permuted;
        state.Batch = state.Batch.With(inputKey, input);
    }

    /// <summary>Mixes the targets by area, unless the loss is interpolated instead.</summary>
    [OnEvent(Event.BeforeLoss)]
    [Rewrites(Rewrite.Targets)]
    public void MixTargets(State state)
    {
        if (InterpolateLoss || _permutedTarget is null) return;
        string targetKey = TargetKey ?? state.Batch.TargetsKey;
        state.Batch = state.Batch.With(targetKey, Functional.MixTargets(state.Outputs, state.Batch[targetKey], _permutedTarget, _lambda));
        _permutedTarget = null;
    }

    /// <summary>Mixes the loss against the permuted targets into the loss, when the loss is interpolated.</summary>
    [OnEvent(Event.BeforeBackward)]
    [Rewrites(Rewrite.InterpolatedLoss, When = "interpolateLoss")]
    public void MixLoss(State state)
    {
        if (!InterpolateLoss || _permutedTarget is null) return;
        state.Loss = Functional.InterpolateLoss(state.Model, state.Outputs, state.Batch, state.Loss, _permutedTarget, _lambda, TargetKey);
        _permutedTarget = null;
    }
}
