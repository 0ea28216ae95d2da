using Composer.Core;

namespace Composer.Algorithms;

/// <summary>
/// Clips the gradients after the backward pass and before the optimizer step, like
/// <c>composer.algorithms.GradientClipping</c>: by global norm, by value, or adaptively (AGC). See
/// <see cref="Functional.ApplyGradientClipping"/>.
/// </summary>
/// <remarks>
/// Norm clipping: Pascanu et al., 2013 (arXiv:1211.5063). Adaptive clipping: Brock et al., 2021
/// (arXiv:2102.06171), built here from TorchSharp primitives since TorchSharp has no AGC. Runs after
/// <see cref="Sam"/> at <see cref="Event.AfterTrainBatch"/>, so the gradient that is stepped is the one clipped.
/// </remarks>
public sealed class GradientClipping : Algorithm
{
    /// <summary>Creates the algorithm.</summary>
    /// <param name="type">Norm, value or adaptive.</param>
    /// <param name="threshold">The maximum norm or value, or the adaptive ratio.</param>
    public GradientClipping(ClippingType type, double threshold)
    {
        if (!(threshold > 0))
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The clipping threshold must be positive.");
        Type = type;
        Threshold = threshold;
    }

    /// <summary>How the gradients are clipped.</summary>
    public ClippingType Type { get; }

    /// <summary>The threshold.</summary>
    public double Threshold { get; }

    /// <summary>Clips the gradients of the whole batch before the optimizer steps.</summary>
    [OnEvent(Event.AfterTrainBatch, RunsAfter = [typeof(Sam)])]
    [Rewrites(Rewrite.Gradients)]
    public void Clip(State state) => Functional.ApplyGradientClipping(state.Model.parameters(), Type, Threshold);
}
