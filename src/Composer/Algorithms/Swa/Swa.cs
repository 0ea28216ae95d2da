using Composer.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Algorithms;

/// <summary>
/// Stochastic weight averaging, like <c>composer.algorithms.SWA</c>: from <c>swaStart</c> the learning rate anneals
/// to <c>swaLr</c> and the weights are averaged after every update interval; at <c>swaEnd</c> the average replaces the
/// model's weights. See <see cref="Functional.UpdateSwaAverage"/> and <see cref="Functional.SwaLearningRate"/>.
/// </summary>
/// <remarks>
/// Izmailov et al., 2018 (arXiv:1803.05407). Composer's defaults: start 0.7dur, end 0.97dur, update every epoch,
/// cosine annealing over 10 epochs (here given in batches). TorchSharp has neither <c>AveragedModel</c> nor
/// <c>SWALR</c>, so both are rebuilt from tensor operations. Batch-norm statistics are taken from the last model,
/// not recomputed. Cannot be combined with <see cref="Ema"/>: both decide which averaged weights the model ends with.
/// </remarks>
[IncompatibleWith(typeof(Ema), "both decide which averaged weights the model ends with")]
public sealed class Swa : Algorithm, IStateful, IDisposable
{
    private Dictionary<string, Tensor>? _average;
    private long _count;
    private double? _startRate;
    private long _annealStep;

    /// <summary>Creates the algorithm.</summary>
    /// <param name="swaStart">When averaging starts, as a fraction of training.</param>
    /// <param name="swaEnd">When the average replaces the weights.</param>
    /// <param name="updateInterval">Average every this many batches (<c>"1ba"</c>) or epochs (<c>"1ep"</c>).</param>
    /// <param name="swaLr">The rate to anneal to; null leaves the rate to the schedulers.</param>
    /// <param name="annealBatches">Batches over which the rate anneals.</param>
    /// <param name="cosineAnneal">Cosine (true) or linear annealing.</param>
    public Swa(double swaStart = 0.7, double swaEnd = 0.97, [TimeString] string updateInterval = "1ep", double? swaLr = null, long annealBatches = 10, bool cosineAnneal = true)
    {
        if (!(swaStart >= 0 && swaStart < swaEnd && swaEnd <= 1)) throw new ArgumentException($"Need 0 <= swaStart < swaEnd <= 1; got {swaStart} and {swaEnd}.");
        Time interval = Time.Parse(updateInterval);
        if (interval.Unit is not (TimeUnit.Batch or TimeUnit.Epoch) || interval.Value < 1)
            throw new ArgumentException($"SWA's update interval is a positive number of ba or ep, such as \"1ep\"; got \"{updateInterval}\".", nameof(updateInterval));
        if (swaLr is < 0) throw new ArgumentOutOfRangeException(nameof(swaLr), swaLr, "The SWA rate cannot be negative.");
        SwaStart = swaStart;
        SwaEnd = swaEnd;
        UpdateInterval = interval;
        SwaLr = swaLr;
        AnnealBatches = annealBatches;
        CosineAnneal = cosineAnneal;
    }

    /// <summary>When averaging starts.</summary>
    public double SwaStart { get; }
    /// <summary>When the average replaces the weights.</summary>
    public double SwaEnd { get; }
    /// <summary>How often the weights are averaged.</summary>
    public Time UpdateInterval { get; }
    /// <summary>The rate annealed to; null for none.</summary>
    public double? SwaLr { get; }
    /// <summary>Batches over which the rate anneals.</summary>
    public long AnnealBatches { get; }
    /// <summary>Cosine or linear annealing.</summary>
    public bool CosineAnneal { get; }
    /// <summary>How many snapshots the average holds.</summary>
    public long Count => _count;
    /// <summary>True once the average has replaced the model's weights.</summary>
    public bool Applied { get; private set; }

    /// <summary>Sets the annealed rate for the batch, over the schedulers' rate, once averaging has started.</summary>
    [OnEvent(Event.BatchStart)]
    public void AnnealRate(State state)
    {
        if (SwaLr is not { } swaLr || Applied || state.Progress < SwaStart) return;
        _startRate ??= state.Optimizer.ParamGroups.First().LearningRate;
        double rate = Functional.SwaLearningRate(_startRate.Value, swaLr, _annealStep++, AnnealBatches, CosineAnneal);
        foreach (var group in state.Optimizer.ParamGroups) group.LearningRate = rate;
    }

    /// <summary>Averages after a batch, when the interval is in batches.</summary>
    [OnEvent(Event.BatchEnd)]
    [Rewrites(Rewrite.Weights)]
    public void AverageAfterBatch(State state)
    {
        if (UpdateInterval.Unit == TimeUnit.Batch && state.Timestamp.Batch % UpdateInterval.Count == 0) Step(state);
    }

    /// <summary>Averages after an epoch, when the interval is in epochs.</summary>
    [OnEvent(Event.EpochEnd)]
    [Rewrites(Rewrite.Weights)]
    public void AverageAfterEpoch(State state)
    {
        if (UpdateInterval.Unit == TimeUnit.Epoch && state.Timestamp.Epoch % UpdateInterval.Count == 0) Step(state);
    }

    private void Step(State state)
    {
        if (Applied || state.Progress < SwaStart) return;
        if (_average is null)
        {
            // The first snapshot is the average.
            _average = state.Model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone().DetachFromDisposeScope(), StringComparer.Ordinal);
            _count = 1;
        }
        else
        {
            _count = Functional.UpdateSwaAverage(state.Model, _average, _count);
        }
        if (state.Progress >= SwaEnd || state.Timestamp >= state.MaxDuration) Apply(state);
    }

    private void Apply(State state)
    {
        using (no_grad())
            foreach ((string name, Tensor value) in state.Model.state_dict()) value.copy_(_average![name]);
        Applied = true;
    }

    /// <inheritdoc/>
    public void SaveState(StateDict state)
    {
        state.Set("count", _count);
        state.Set("applied", Applied ? 1 : 0);
        state.Set("annealStep", _annealStep);
        if (_startRate is { } rate) state.Set("startRate", rate);
        foreach ((string name, Tensor value) in _average ?? []) state.Set($"average.{name}", value);
    }

    /// <inheritdoc/>
    public void LoadState(StateDict state)
    {
        _count = (long)state.GetNumber("count");
        Applied = state.GetNumber("applied") != 0;
        _annealStep = (long)state.GetNumber("annealStep");
        _startRate = state.Contains("startRate") ? state.GetNumber("startRate") : null;
        Dispose();
        _average = state.Tensors.Where(t => t.Key.StartsWith("average.", StringComparison.Ordinal))
            .ToDictionary(t => t.Key["average.".Length..], t => t.Value.DetachFromDisposeScope(), StringComparer.Ordinal);
        if (_average.Count == 0) _average = null;
    }

    /// <summary>Frees the average.</summary>
    public void Dispose()
    {
        foreach (Tensor t in _average?.Values ?? Enumerable.Empty<Tensor>()) t.Dispose();
        _average = null;
    }
}
