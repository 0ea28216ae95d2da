using Composer.Core;

namespace Composer.Algorithms;

/// <summary>
/// Freezes the model's first layers progressively from <c>freezeStart</c> on, at the end of each epoch, like
/// <c>composer.algorithms.LayerFreezing</c>: frozen layers get no gradients and leave the optimizer, so later
/// batches are cheaper. See <see cref="Functional.FreezeLayers"/>.
/// </summary>
/// <remarks>
/// Raghu et al., 2017 (arXiv:1706.05806); Brock et al., 2017 (arXiv:1706.04983). Composer's defaults: start 0.5,
/// level 1.0. A checkpoint keeps how many layers are frozen, and a resumed run freezes them again before the
/// optimizer's state is loaded.
/// </remarks>
public sealed class LayerFreezing : Algorithm, IStateful
{
    private State? _state;

    /// <summary>Creates the algorithm.</summary>
    /// <param name="freezeStart">When freezing starts, as a fraction of training.</param>
    /// <param name="freezeLevel">The share of layers frozen at the end.</param>
    public LayerFreezing(double freezeStart = 0.5, double freezeLevel = 1.0)
    {
        if (freezeStart is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(freezeStart), freezeStart, "The start must be in [0, 1).");
        if (freezeLevel is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(freezeLevel), freezeLevel, "The level must be in [0, 1].");
        FreezeStart = freezeStart;
        FreezeLevel = freezeLevel;
    }

    /// <summary>When freezing starts.</summary>
    public double FreezeStart { get; }
    /// <summary>The share of layers frozen at the end.</summary>
    public double FreezeLevel { get; }
    /// <summary>How many layers are frozen (see <see cref="Functional.Layers"/>).</summary>
    public int FrozenLayers { get; private set; }

    /// <summary>Keeps the state, so a checkpoint can freeze the layers again when it is loaded.</summary>
    [OnEvent(Event.Init)]
    public void Attach(State state) => _state = state;

    /// <summary>Freezes the layers due at the end of this epoch.</summary>
    [OnEvent(Event.EpochEnd)]
    [Rewrites(Rewrite.Weights)]
    public void Freeze(State state) =>
        FrozenLayers = Functional.FreezeLayers(state.Model, state.Optimizer, state.ElapsedDuration.Value, FreezeStart, FreezeLevel).FrozenLayers;

    /// <inheritdoc/>
    public void SaveState(StateDict state) => state.Set("frozenLayers", FrozenLayers);

    /// <inheritdoc/>
    public void LoadState(StateDict state)
    {
        FrozenLayers = (int)state.GetNumber("frozenLayers");
        if (_state is null) throw new InvalidOperationException("LayerFreezing loads its state after Event.Init.");
        Functional.FreezeFirst(Functional.Layers(_state.Model), _state.Optimizer, FrozenLayers);
    }
}
