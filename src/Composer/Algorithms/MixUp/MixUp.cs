using Composer.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Algorithms;

/// <summary>
/// Trains on convex combinations of pairs of samples. Before the forward pass, inputs are mixed
/// (<see cref="Functional.MixUpBatch"/>); before the loss the targets are mixed the same way, or, with
/// <c>interpolateLoss</c>, before the backward pass the loss is mixed instead.
/// </summary>
/// <remarks>Zhang et al., 2018 (arXiv:1710.09412). Composer's defaults: alpha 0.2, interpolateLoss false.</remarks>
public sealed class MixUp : Algorithm
{
    private double _mixing;
    private Tensor? _permutedTarget;

    /// <summary>Creates the algorithm.</summary>
    /// <param name="alpha">The Beta distribution's parameter; larger mixes more. Non-negative.</param>
    /// <param name="interpolateLoss">Mix the two losses instead of the targets (needed for losses that take class indices).</param>
    public MixUp(double alpha = 0.2, bool interpolateLoss = false)
    {
        if (alpha < 0 || double.IsNaN(alpha))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "MixUp's alpha must be non-negative.");
        Alpha = alpha;
        InterpolateLoss = interpolateLoss;
    }

    /// <summary>The Beta distribution's parameter.</summary>
    public double Alpha { get; }

    /// <summary>Whether the loss, rather than the targets, is interpolated.</summary>
    public bool InterpolateLoss { get; }

    /// <summary>The key of the tensor mixed; null for the batch's <see cref="Data.Batch.InputsKey"/> (Composer's <c>input_key</c>).</summary>
    public string? InputKey { get; init; }

    /// <summary>The key of the targets mixed like the inputs; null for the batch's <see cref="Data.Batch.TargetsKey"/> (Composer's <c>target_key</c>).</summary>
    public string? TargetKey { get; init; }

    /// <summary>The weight of the permuted samples in the current batch.</summary>
    public double Mixing => _mixing;

    /// <summary>Mixes the inputs of the batch.</summary>
    [OnEvent(Event.BeforeForward)]
    [Rewrites(Rewrite.Inputs)]
    public void MixInputs(State state)
    {
        string inputKey = InputKey ?? state.Batch.InputsKey;
        Tensor targets = state.Batch.Require(TargetKey ?? state.Batch.TargetsKey, nameof(MixUp));
        (Tensor input, Tensor permutedTarget, double mixing) =
            Functional.MixUpBatch(state.Batch.Require(inputKey, nameof(MixUp)), targets, alpha: Alpha);
        _mixing = mixing;
        _permutedTarget = permutedTarget;
        state.Batch = state.Batch.With(inputKey, input);
    }

    /// <summary>Mixes the targets like the inputs, unless the loss is interpolated instead.</summary>
    [OnEvent(Event.BeforeLoss)]
    [Rewrites(Rewrite.Targets)]
    public void MixTargets(State state)
    {
        if (InterpolateLoss || _permutedTarget is null) return;
        string targetKey = TargetKey ?? state.Batch.TargetsKey;
        state.Batch = state.Batch.With(targetKey, Functional.MixTargets(state.Outputs, state.Batch[targetKey], _permutedTarget, 1 - _mixing));
        _permutedTarget = null;
    }

    /// <summary>Mixes the loss against the permuted targets into the loss, when the loss is interpolated.</summary>
    [OnEvent(Event.BeforeBackward)]
    [Rewrites(Rewrite.InterpolatedLoss, When = "interpolateLoss")]
    public void MixLoss(State state)
    {
        if (!InterpolateLoss || _permutedTarget is null) return;
        state.Loss = Functional.InterpolateLoss(state.Model, state.Outputs, state.Batch, state.Loss, _permutedTarget, 1 - _mixing, TargetKey);
        _permutedTarget = null;
    }
}
