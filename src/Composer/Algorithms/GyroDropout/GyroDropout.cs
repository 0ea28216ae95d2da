using Composer.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Algorithms;

/// <summary>
/// Composer's <c>GyroDropoutLayer</c>: <c>sigma</c> dropout masks are drawn once, then every
/// iters_per_epoch · max_epoch / sigma · tau steps <c>tau</c> of them are picked, each applied to batch / tau samples,
/// scaled by 1 / (1 − p). Identity in evaluation.
/// </summary>
public sealed class GyroDropoutLayer : nn.Module<Tensor, Tensor>
{
    private readonly long _itersPerEpoch, _maxEpoch;
    private readonly double _p;
    private readonly int _sigma, _tau;
    private Tensor? _preselected;
    private Tensor? _selected;
    private long _step;
    private long _every;

    /// <summary>Creates the layer.</summary>
    public GyroDropoutLayer(long itersPerEpoch, long maxEpoch, double p, int sigma, int tau) : base(nameof(GyroDropoutLayer))
    {
        if (tau < 1 || sigma < tau) throw new ArgumentOutOfRangeException(nameof(tau), tau, $"tau is at least 1 and at most sigma ({sigma}).");
        (_itersPerEpoch, _maxEpoch, _p, _sigma, _tau) = (itersPerEpoch, maxEpoch, p, sigma, tau);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        if (!training) return input.alias();
        if (input.shape[0] % _tau != 0)
            throw new ArgumentException($"GyroDropout splits the batch among tau = {_tau} masks; the batch of {input.shape[0]} must divide by it.", nameof(input));
        if (_step == 0)
        {
            _preselected = (torch.rand(_sigma, input.shape[1], device: input.device) > _p).to_type(input.dtype).DetachFromDisposeScope();
            _every = Math.Max(1, _itersPerEpoch * _maxEpoch / _sigma * _tau);
        }
        if (_step % _every == 0)
        {
            _selected?.Dispose();
            Tensor picks = torch.randint(0, _sigma, [_tau], device: input.device);
            _selected = _preselected!.index_select(0, picks).DetachFromDisposeScope();
        }
        _step++;
        Tensor mask = _selected!.repeat_interleave(input.shape[0] / _tau, dim: 0);
        return input * mask * (1 / (1 - _p));
    }
}

/// <summary>
/// Gyro Dropout (Lee et al., 2022, "Gyro Dropout: Maximizing Ensemble Effect in Neural Network Training"), as
/// <c>composer.algorithms.GyroDropout</c>: at <see cref="Event.FitStart"/> every <c>Dropout</c> becomes a
/// <see cref="GyroDropoutLayer"/> (the number of epochs is the max duration's, which must be in epochs). Composer's
/// defaults: p 0.5, sigma 256, tau 16.
/// </summary>
public sealed class GyroDropout(double p = 0.5, int sigma = 256, int tau = 16) : Algorithm
{
    /// <summary>How many dropouts were replaced.</summary>
    public int Replaced { get; private set; }

    /// <summary>Replaces the dropouts.</summary>
    [OnEvent(Event.FitStart)]
    public void Apply(State state)
    {
        if (state.MaxDuration.Unit != TimeUnit.Epoch)
            throw new InvalidOperationException($"GyroDropout schedules its masks over epochs; set MaxDuration in ep (it is {state.MaxDuration}).");
        Replaced = Functional.ApplyGyroDropout(state.Model, state.TrainDataloader.Count, state.MaxDuration.Count, p, sigma, tau);
    }
}
