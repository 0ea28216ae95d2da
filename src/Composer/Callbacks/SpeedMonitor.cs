using Composer.Core;
using Composer.Loggers;
using Composer.Models;
using TorchSharp;

namespace Composer.Callbacks;

/// <summary>
/// Logs training throughput, as <c>composer.callbacks.SpeedMonitor</c>: once <c>windowSize</c> batches have ended, after
/// every batch the rates over the last <c>windowSize</c> (<c>throughput/batches_per_sec</c>, <c>samples_per_sec</c>,
/// <c>tokens_per_sec</c> when batches count tokens, and each divided by the world size under <c>throughput/device/</c>);
/// <c>throughput/flops_per_sec</c>, <c>throughput/device/flops_per_sec</c> and <c>throughput/device/mfu</c> when the
/// model is an <see cref="IFlopsPerBatch"/>; and after every batch <c>time/train</c>, <c>time/val</c> and
/// <c>time/total</c> in <c>timeUnit</c>.
/// </summary>
/// <remarks>
/// The rates are differences of the timestamp's counts and training wall clock (evaluation excluded) over the window, so
/// no tensor is read and nothing waits for the device. MFU is the device FLOPs per second over <c>gpuFlopsAvailable</c>,
/// by default the <see cref="PeakFlops"/> of the GPU NVML names at the run's precision; on a CPU, or a GPU the table
/// lacks, MFU is not logged (said once on stderr, as Composer warns).
/// </remarks>
public sealed class SpeedMonitor : Callback, IStateful
{
    private readonly Queue<(long Sample, long Token, double Seconds)> _history = new();
    private readonly Queue<double> _flops = new();
    private double _flopsSum;
    private readonly double _divider;
    private readonly Dictionary<string, double> _rates = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _times = new(StringComparer.Ordinal);
    private double _evalSeconds;
    private long _evalStarted;

    /// <summary>Creates the monitor.</summary>
    /// <param name="windowSize">How many batches the rates span (Composer's default 100).</param>
    /// <param name="gpuFlopsAvailable">The device's peak FLOPs per second for MFU; by default looked up for the GPU in use.</param>
    /// <param name="timeUnit"><c>"seconds"</c>, <c>"minutes"</c>, <c>"hours"</c> (Composer's default) or <c>"days"</c>.</param>
    public SpeedMonitor(int windowSize = 100, double? gpuFlopsAvailable = null, string timeUnit = "hours")
    {
        WindowSize = windowSize >= 1 ? windowSize : throw new ArgumentOutOfRangeException(nameof(windowSize), windowSize, "The window needs at least one batch.");
        GpuFlopsAvailable = gpuFlopsAvailable;
        _divider = timeUnit switch
        {
            "seconds" => 1,
            "minutes" => 60,
            "hours" => 3600,
            "days" => 86400,
            _ => throw new ArgumentException($"Invalid timeUnit: {timeUnit}. Must be one of \"seconds\", \"minutes\", \"hours\", or \"days\".", nameof(timeUnit)),
        };
    }

    /// <summary>The number of batches the rates span.</summary>
    public int WindowSize { get; }

    /// <summary>The peak FLOPs per second MFU divides by; null until known, 0 when unknown (no MFU).</summary>
    public double? GpuFlopsAvailable { get; private set; }

    /// <summary>Looks up the device's peak when none was given.</summary>
    [OnEvent(Event.Init)]
    public void FindPeak(State state)
    {
        if (GpuFlopsAvailable is not null) return;
        string? device = state.Device.type == DeviceType.CUDA ? Utils.Nvml.DeviceName(state.Device.index < 0 ? 0 : state.Device.index) : null;
        GpuFlopsAvailable = device is null ? null : PeakFlops.For(device, PeakFlops.NameOf(state.Precision));
        if (GpuFlopsAvailable is null && state.Model is IFlopsPerBatch)
            Console.Error.WriteLine($"SpeedMonitor: no peak FLOPs known for {device ?? state.Device.type.ToString()} at {PeakFlops.NameOf(state.Precision)}, " +
                "so MFU is not logged; pass gpuFlopsAvailable to set it.");
        GpuFlopsAvailable ??= 0;
    }

    /// <summary>Adds the batch to the window and logs the rates and times.</summary>
    [OnEvent(Event.BatchEnd)]
    public void Measure(State state, Logger logger)
    {
        Timestamp now = state.Timestamp;
        double trainSeconds = now.TotalWallClock.TotalSeconds;
        _history.Enqueue((now.Sample, now.Token, trainSeconds));
        if (_history.Count > WindowSize + 1) _history.Dequeue();
        int worldSize = state.Communicator.WorldSize;
        _rates.Clear();
        (long firstSample, long firstToken, double firstSeconds) = _history.Peek();
        double elapsed = trainSeconds - firstSeconds;
        if (_history.Count == WindowSize + 1)
        {
            double batches = WindowSize / elapsed, samples = (now.Sample - firstSample) / elapsed;
            _rates["throughput/batches_per_sec"] = batches;
            _rates["throughput/samples_per_sec"] = samples;
            _rates["throughput/device/batches_per_sec"] = batches / worldSize;
            _rates["throughput/device/samples_per_sec"] = samples / worldSize;
            if (now.Token - firstToken > 0)
            {
                double tokens = (now.Token - firstToken) / elapsed;
                _rates["throughput/tokens_per_sec"] = tokens;
                _rates["throughput/device/tokens_per_sec"] = tokens / worldSize;
            }
        }
        if (state.Model is IFlopsPerBatch model)
        {
            double flops = model.FlopsPerBatch(state.Batch);
            // Each rank counts its own batch; the sum over ranks is the step's (a host tensor: no device wait).
            if (worldSize > 1)
            {
                using var total = torch.tensor(flops);
                state.Communicator.AllReduce(total, Distributed.ReduceOperation.Sum);
                flops = total.item<double>();
            }
            _flops.Enqueue(flops);
            _flopsSum += flops;
            if (_flops.Count > WindowSize + 1) _flopsSum -= _flops.Dequeue();
            if (_flops.Count == WindowSize + 1)
            {
                // As Composer: the window's FLOPs are all but the oldest entry's, over the same seconds.
                double perSecond = (_flopsSum - _flops.Peek()) / elapsed;
                _rates["throughput/flops_per_sec"] = perSecond;
                _rates["throughput/device/flops_per_sec"] = perSecond / worldSize;
                if (GpuFlopsAvailable > 0) _rates["throughput/device/mfu"] = perSecond / worldSize / GpuFlopsAvailable.Value;
            }
        }
        if (_rates.Count > 0) logger.LogMetrics(_rates);
        _times["time/train"] = trainSeconds / _divider;
        _times["time/val"] = _evalSeconds / _divider;
        _times["time/total"] = (trainSeconds + _evalSeconds) / _divider;
        logger.LogMetrics(_times);
    }

    /// <summary>Starts timing an evaluation.</summary>
    [OnEvent(Event.EvalStart)]
    public void EvalStarted(State state) => _evalStarted = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Adds the evaluation's time to <c>time/val</c>.</summary>
    [OnEvent(Event.EvalEnd)]
    public void EvalEnded(State state) => _evalSeconds += System.Diagnostics.Stopwatch.GetElapsedTime(_evalStarted).TotalSeconds;

    /// <inheritdoc/>
    public void SaveState(StateDict state) => state.Set("total_eval_wct", _evalSeconds);

    /// <inheritdoc/>
    public void LoadState(StateDict state) => _evalSeconds = state.GetNumber("total_eval_wct");
}
