using Composer.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Algorithms;

/// <summary>
/// Keeps an exponential moving average of the model's weights and evaluates with it, while training
/// continues on the raw weights: the average is updated after every <c>updateInterval</c>, swapped into
/// the model at <see cref="Event.EvalStart"/> and swapped out again at <see cref="Event.EvalEnd"/>.
/// See <see cref="Functional.ComputeEma"/>.
/// </summary>
/// <remarks>
/// Polyak and Juditsky, 1992; as in Composer, the half-life sets the smoothing:
/// <c>2^(-updateInterval / halfLife)</c>. Composer's defaults: half-life <c>1000ba</c>, start <c>0.0dur</c>.
/// </remarks>
public sealed class Ema : Algorithm, IStateful, IDisposable
{
    private readonly Time _emaStart;
    private Dictionary<string, Tensor>? _average;
    private Dictionary<string, Tensor>? _training;
    private bool _averageInModel;

    /// <summary>Creates the algorithm from a half-life.</summary>
    /// <param name="halfLife">After this long a weight's influence on the average halves, in ba or ep (for example <c>"10ba"</c>).</param>
    /// <param name="updateInterval">How often to update the average, in the half-life's unit; <c>1</c> of that unit when omitted.</param>
    /// <param name="emaStart">When averaging starts; before it the average follows the weights. In the half-life's unit or dur.</param>
    public Ema([TimeString] string halfLife = "1000ba", [TimeString] string? updateInterval = null, [TimeString] string emaStart = "0.0dur")
    {
        Time life = Time.Parse(halfLife);
        if (life.Unit is not (TimeUnit.Batch or TimeUnit.Epoch) || life.Value == 0)
            throw new ArgumentException($"The EMA half-life must be a positive number of batches or epochs, such as \"1000ba\"; got \"{halfLife}\".", nameof(halfLife));
        Time interval = updateInterval is null ? new Time(1, life.Unit) : Time.Parse(updateInterval);
        if (interval.Unit != life.Unit || interval.Value == 0)
            throw new ArgumentException($"The EMA update interval must be a positive time in the half-life's unit ({Time.Suffix(life.Unit)}); got \"{updateInterval}\".", nameof(updateInterval));
        _emaStart = ParseStart(emaStart, life.Unit);
        HalfLife = life;
        UpdateInterval = interval;
        Smoothing = Functional.EmaSmoothing(life.Value, interval.Value);
    }

    /// <summary>Creates the algorithm from the smoothing itself, as Composer's <c>EMA(half_life=None, smoothing=...)</c>.</summary>
    /// <param name="smoothing">The weight kept from the average at each update, in [0, 1] (0.999 averages over about 1000 updates).</param>
    /// <param name="updateInterval">How often to update the average, in ba or ep.</param>
    /// <param name="emaStart">When averaging starts; in the interval's unit or dur.</param>
    public Ema(double smoothing, [TimeString] string updateInterval = "1ba", [TimeString] string emaStart = "0.0dur")
    {
        if (!(smoothing >= 0 && smoothing <= 1))
            throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "The EMA smoothing is a weight in [0, 1], such as 0.999.");
        Time interval = Time.Parse(updateInterval);
        if (interval.Unit is not (TimeUnit.Batch or TimeUnit.Epoch) || interval.Value == 0)
            throw new ArgumentException($"The EMA update interval must be a positive number of batches or epochs, such as \"1ba\"; got \"{updateInterval}\".", nameof(updateInterval));
        _emaStart = ParseStart(emaStart, interval.Unit);
        UpdateInterval = interval;
        Smoothing = smoothing;
    }

    /// <summary>The half-life of a weight's influence on the average; null when created from the smoothing.</summary>
    public Time? HalfLife { get; }

    /// <summary>How often the average is updated.</summary>
    public Time UpdateInterval { get; }

    /// <summary>The weight kept from the average at each update.</summary>
    public double Smoothing { get; }

    /// <summary>The averaged weights by parameter and buffer name; empty before <see cref="Event.Init"/>.</summary>
    public IReadOnlyDictionary<string, Tensor> Average => _average ?? new Dictionary<string, Tensor>();

    /// <summary>Starts the average at the model's initial weights.</summary>
    [OnEvent(Event.Init)]
    public void CreateAverage(State state)
    {
        _average = Snapshot(state.Model);
        _training = Snapshot(state.Model);
    }

    /// <summary>Updates the average after a batch, when the interval is in batches.</summary>
    [OnEvent(Event.BatchEnd)]
    public void UpdateAfterBatch(State state)
    {
        if (UpdateInterval.Unit == TimeUnit.Batch && state.Timestamp.Batch % UpdateInterval.Count == 0)
            Update(state);
    }

    /// <summary>Updates the average after an epoch, when the interval is in epochs.</summary>
    [OnEvent(Event.EpochEnd)]
    public void UpdateAfterEpoch(State state)
    {
        if (UpdateInterval.Unit == TimeUnit.Epoch && state.Timestamp.Epoch % UpdateInterval.Count == 0)
            Update(state);
    }

    /// <summary>
    /// Puts the averaged weights into the model for evaluation, keeping the training weights aside; they come back
    /// at <see cref="Event.EvalEnd"/>, or when the evaluation ends through an exception.
    /// </summary>
    [OnEvent(Event.EvalStart)]
    public void SwapInAverage(State state)
    {
        if (_average is null || _training is null || _averageInModel) return;
        state.Evaluation?.OnExit(() => SwapOutAverage(state));
        using var noGrad = no_grad();
        foreach ((string name, Tensor weight) in Functional.NamedWeights(state.Model))
        {
            _training[name].copy_(weight);
            weight.copy_(_average[name]);
        }
        _averageInModel = true;
    }

    /// <summary>Puts the training weights back after evaluation.</summary>
    [OnEvent(Event.EvalEnd)]
    public void SwapOutAverage(State state)
    {
        if (_training is null || !_averageInModel) return;
        using var noGrad = no_grad();
        foreach ((string name, Tensor weight) in Functional.NamedWeights(state.Model))
            weight.copy_(_training[name]);
        _averageInModel = false;
    }

    /// <summary>Keeps the averaged weights in the checkpoint.</summary>
    public void SaveState(StateDict state)
    {
        foreach ((string name, Tensor weight) in _average ?? [])
            state.Set($"average.{name}", weight);
    }

    /// <summary>Restores the averaged weights from the checkpoint.</summary>
    public void LoadState(StateDict state)
    {
        if (_average is null)
            throw new InvalidOperationException("The EMA average is created at Event.Init; load its state after the trainer is constructed.");
        using var noGrad = no_grad();
        foreach ((string name, Tensor average) in _average)
        {
            using Tensor saved = state.GetTensor($"average.{name}");
            average.copy_(saved);
        }
    }

    /// <summary>Frees the averaged and saved weights.</summary>
    public void Dispose()
    {
        foreach (Dictionary<string, Tensor>? weights in new[] { _average, _training })
            foreach (Tensor tensor in weights?.Values ?? Enumerable.Empty<Tensor>())
                tensor.Dispose();
        _average = null;
        _training = null;
    }

    private void Update(State state)
    {
        if (_average is null) return;
        bool started = _emaStart.Unit == TimeUnit.Duration
            ? state.ElapsedDuration.Value >= _emaStart.Value
            : state.Timestamp.Get(_emaStart.Unit) >= _emaStart.Value;
        // Until averaging starts, the average follows the weights.
        Functional.ComputeEma(state.Model, _average, started ? Smoothing : 0);
    }

    private static Dictionary<string, Tensor> Snapshot(nn.Module model)
    {
        using var noGrad = no_grad();
        return Functional.NamedWeights(model).ToDictionary(
            w => w.Name, w => w.Weight.detach().clone().DetachFromDisposeScope(), StringComparer.Ordinal);
    }

    private static Time ParseStart(string emaStart, TimeUnit unit)
    {
        Time start = Time.Parse(emaStart);
        if (start.Unit != TimeUnit.Duration && start.Unit != unit)
            throw new ArgumentException($"The EMA start must be in dur or in the unit of its times ({Time.Suffix(unit)}); got \"{emaStart}\".", nameof(emaStart));
        return start;
    }
}
