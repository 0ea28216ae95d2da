using Composer.Core;

namespace Composer.Algorithms;

/// <summary>
/// Gated Linear Units (Shazeer, 2020, arXiv:2002.05202), like <c>composer.algorithms.GatedLinearUnits</c>: at
/// <see cref="Event.Init"/> every transformer feed-forward block becomes <c>wo(act(gated(x)) * nonGated(x))</c>.
/// See <see cref="Functional.ApplyGatedLinearUnits"/>.
/// </summary>
/// <remarks>Composer's defaults: the model's activation (GELU here), no bias on the gated and non-gated layers.</remarks>
public sealed class GatedLinearUnits(bool gatedLayerBias = false, bool nonGatedLayerBias = false) : Algorithm
{
    /// <summary>How many feed-forward blocks were replaced.</summary>
    public int Replaced { get; private set; }

    /// <summary>Replaces the feed-forward blocks.</summary>
    [OnEvent(Event.Init)]
    public void Apply(State state) =>
        Replaced = Functional.ApplyGatedLinearUnits(state.Model, state.Optimizer, gatedLayerBias: gatedLayerBias, nonGatedLayerBias: nonGatedLayerBias);
}
