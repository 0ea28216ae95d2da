using Composer.Core;
using Composer.Loggers;

namespace Composer.Callbacks;

/// <summary>
/// Logs training throughput after every batch, like <c>composer.callbacks.SpeedMonitor</c>: over the last
/// <c>windowSize</c> batches, <c>throughput/batches_per_sec</c>, <c>throughput/samples_per_sec</c> and
/// <c>time/batch_seconds</c>, plus <c>wall_clock/train</c>, the seconds spent training so far.
/// </summary>
/// <param name="windowSize">How many recent batches the rates average over.</param>
public sealed class SpeedMonitor(int windowSize = 100) : Callback
{
    private readonly Queue<(long Samples, double Seconds)> _window = new();
    private long _windowSamples;
    private double _windowSeconds;
    private long _previousSample;

    /// <summary>The number of batches averaged over.</summary>
    public int WindowSize { get; } = windowSize >= 1 ? windowSize : throw new ArgumentOutOfRangeException(nameof(windowSize), windowSize, "The window needs at least one batch.");

    /// <summary>Samples per second over the window; 0 before the first batch.</summary>
    public double SamplesPerSecond => _windowSeconds > 0 ? _windowSamples / _windowSeconds : 0;

    /// <summary>Batches per second over the window; 0 before the first batch.</summary>
    public double BatchesPerSecond => _windowSeconds > 0 ? _window.Count / _windowSeconds : 0;

    /// <summary>Adds the batch to the window and logs the rates.</summary>
    [OnEvent(Event.BatchEnd)]
    public void Measure(State state, Logger logger)
    {
        Timestamp now = state.Timestamp;
        long samples = now.Sample - _previousSample;
        _previousSample = now.Sample;
        double seconds = now.BatchWallClock.TotalSeconds;
        _window.Enqueue((samples, seconds));
        _windowSamples += samples;
        _windowSeconds += seconds;
        if (_window.Count > WindowSize)
        {
            (long oldSamples, double oldSeconds) = _window.Dequeue();
            _windowSamples -= oldSamples;
            _windowSeconds -= oldSeconds;
        }
        logger.LogMetrics(new Dictionary<string, double>(4, StringComparer.Ordinal)
        {
            ["throughput/batches_per_sec"] = BatchesPerSecond,
            ["throughput/samples_per_sec"] = SamplesPerSecond,
            ["time/batch_seconds"] = _window.Count > 0 ? _windowSeconds / _window.Count : 0,
            ["wall_clock/train"] = now.TotalWallClock.TotalSeconds,
        });
    }
}
