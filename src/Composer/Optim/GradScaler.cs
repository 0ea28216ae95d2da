using Composer.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Optim;

/// <summary>
/// Dynamic loss scaling for float16 mixed precision, with PyTorch's <c>GradScaler</c> rules: the loss is multiplied by
/// the scale before backward, so small gradients do not underflow in float16; before the step the gradients are divided
/// by it again, and if any is infinite or NaN the step is skipped and the scale multiplied by <c>backoffFactor</c>;
/// after <c>growthInterval</c> steps in a row with finite gradients it is multiplied by <c>growthFactor</c>. Its scale and
/// count are saved in checkpoints, so a resumed run continues with them.
/// </summary>
/// <remarks>The Trainer makes one for <see cref="Precision.AmpFp16"/>; with other precisions it is off and changes nothing.</remarks>
public sealed class GradScaler : IStateful
{
    private readonly double _growthFactor, _backoffFactor;
    private readonly int _growthInterval;
    private int _growthTracker;

    /// <summary>Creates the scaler, with PyTorch's defaults.</summary>
    /// <param name="initScale">The first scale (2^16).</param>
    /// <param name="growthFactor">The scale's factor after <paramref name="growthInterval"/> finite steps in a row.</param>
    /// <param name="backoffFactor">The scale's factor after a step with infinite or NaN gradients.</param>
    /// <param name="growthInterval">Finite steps in a row before the scale grows.</param>
    /// <param name="enabled">Off: scale 1, every step taken.</param>
    public GradScaler(double initScale = 65536.0, double growthFactor = 2.0, double backoffFactor = 0.5, int growthInterval = 2000, bool enabled = true)
    {
        if (!(initScale > 0)) throw new ArgumentOutOfRangeException(nameof(initScale), initScale, "The scale must be positive.");
        if (!(growthFactor > 1)) throw new ArgumentOutOfRangeException(nameof(growthFactor), growthFactor, "The growth factor must be above 1.");
        if (!(backoffFactor > 0 && backoffFactor < 1)) throw new ArgumentOutOfRangeException(nameof(backoffFactor), backoffFactor, "The backoff factor must be in (0, 1).");
        if (growthInterval < 1) throw new ArgumentOutOfRangeException(nameof(growthInterval), growthInterval, "The growth interval is at least one step.");
        Enabled = enabled;
        Scale = enabled ? initScale : 1.0;
        _growthFactor = growthFactor;
        _backoffFactor = backoffFactor;
        _growthInterval = growthInterval;
    }

    /// <summary>Whether the scaler scales (float16 mixed precision) or changes nothing.</summary>
    public bool Enabled { get; }

    /// <summary>The current scale.</summary>
    public double Scale { get; private set; }

    /// <summary>How many steps in a row had finite gradients since the scale last changed.</summary>
    public int GrowthTracker => _growthTracker;

    /// <summary>The loss to back-propagate: <paramref name="loss"/> times the scale.</summary>
    public Tensor ScaleLoss(Tensor loss) => Enabled ? loss * Scale : loss;

    /// <summary>
    /// Divides the gradients of <paramref name="state"/>'s optimizer by the scale, in place, and tells whether they are
    /// all finite, over every rank (one device sync, and one all-reduce when several processes train).
    /// </summary>
    /// <returns>True when the optimizer may step.</returns>
    public bool Unscale(State state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!Enabled) return true;
        using var scope = NewDisposeScope();
        double inverse = 1.0 / Scale;
        Tensor? nonFinite = null;
        foreach (var parameter in state.Optimizer.parameters())
        {
            using Tensor? grad = parameter.grad;
            if (grad is null) continue;
            grad.mul_(inverse);
            Tensor bad = grad.isfinite().logical_not().any();
            nonFinite = nonFinite is null ? bad : nonFinite.logical_or_(bad);
        }
        if (nonFinite is null) return true;
        using Tensor flag = nonFinite.to(float32).cpu();
        if (state.Communicator.WorldSize > 1) state.Communicator.AllReduce(flag, Distributed.ReduceOperation.Max);
        return flag.item<float>() == 0;
    }

    /// <summary>Updates the scale after a step: backs off when the gradients were not finite, grows after a run of finite ones.</summary>
    public void Update(bool finite)
    {
        if (!Enabled) return;
        if (!finite)
        {
            Scale *= _backoffFactor;
            _growthTracker = 0;
            return;
        }
        if (++_growthTracker < _growthInterval) return;
        Scale *= _growthFactor;
        _growthTracker = 0;
    }

    /// <inheritdoc/>
    public void SaveState(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Set("scale", Scale);
        state.Set("growthTracker", _growthTracker);
    }

    /// <inheritdoc/>
    public void LoadState(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Scale = state.GetNumber("scale");
        _growthTracker = (int)state.GetNumber("growthTracker");
    }
}
