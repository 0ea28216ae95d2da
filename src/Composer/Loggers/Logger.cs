using Composer.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Loggers;

/// <summary>
/// The facade algorithms and callbacks log through, like <c>composer.loggers.Logger</c>: it stamps values
/// with the current <see cref="Timestamp"/> and hands them to every <see cref="LoggerDestination"/>.
/// </summary>
/// <remarks>
/// Values that live on the device (a loss, a norm) are logged with <see cref="LogTensorMetrics"/>: the
/// logger keeps them as tensors and reads them, which waits for the device, only at <see cref="Flush"/>,
/// which the Trainer calls every <see cref="TrainerOptions.LogInterval"/> batches, at the end of each epoch
/// and before each evaluation. So logging does not force a device sync on every batch unless asked.
/// </remarks>
public sealed class Logger
{
    private readonly State _state;
    private readonly List<(Timestamp Timestamp, string Name, Tensor Value)> _pending = [];

    /// <summary>Creates a logger for <paramref name="state"/> writing to <paramref name="destinations"/>.</summary>
    public Logger(State state, IReadOnlyList<LoggerDestination> destinations)
    {
        _state = state ?? throw new ArgumentNullException(nameof(state));
        Destinations = destinations ?? throw new ArgumentNullException(nameof(destinations));
    }

    /// <summary>The destinations, in the order they receive values.</summary>
    public IReadOnlyList<LoggerDestination> Destinations { get; }

    /// <summary>Logs metrics at the current timestamp.</summary>
    public void LogMetrics(IReadOnlyDictionary<string, double> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        if (Destinations.Count == 0 || metrics.Count == 0) return;
        foreach (LoggerDestination destination in Destinations)
            destination.LogMetrics(_state.Timestamp, metrics);
    }

    /// <summary>Logs one metric at the current timestamp.</summary>
    public void LogMetric(string name, double value) => LogMetrics(new Dictionary<string, double>(1) { [name] = value });

    /// <summary>
    /// Logs scalar tensors at the current timestamp without reading them yet: they are read (one device sync
    /// for all of them) at the next <see cref="Flush"/>.
    /// </summary>
    public void LogTensorMetrics(string name, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (Destinations.Count == 0) return;
        // A detached alias keeps the value's storage alive after the batch's scope frees the original.
        _pending.Add((_state.Timestamp, name, value.detach().DetachFromDisposeScope()));
    }

    /// <summary>Reads the pending tensor metrics and hands them to the destinations, in the order logged.</summary>
    public void Flush()
    {
        if (_pending.Count == 0) return;
        (Timestamp Timestamp, string Name, Tensor Value)[] pending = [.. _pending];
        _pending.Clear();
        int i = 0;
        while (i < pending.Length)
        {
            // Values logged at the same timestamp reach the destinations together.
            Timestamp at = pending[i].Timestamp;
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            for (; i < pending.Length && pending[i].Timestamp == at; i++)
            {
                values[pending[i].Name] = pending[i].Value.ToDouble();
                pending[i].Value.Dispose();
            }
            foreach (LoggerDestination destination in Destinations)
                destination.LogMetrics(at, values);
        }
    }

    /// <summary>
    /// Reads the pending tensor metrics (<see cref="Flush"/>), then has every destination make what it received
    /// durable (<see cref="LoggerDestination.Persist"/>). Called before each checkpoint is written.
    /// </summary>
    public void Persist()
    {
        Flush();
        foreach (LoggerDestination destination in Destinations)
            destination.Persist();
    }

    /// <summary>Logs images under <paramref name="name"/> at the current timestamp.</summary>
    public void LogImages(string name, IReadOnlyList<LoggedImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        foreach (LoggerDestination destination in Destinations)
            destination.LogImages(_state.Timestamp, name, images);
    }

    /// <summary>Logs a table under <paramref name="name"/> at the current timestamp; cells are numbers, strings or images.</summary>
    public void LogTable(string name, IReadOnlyList<string> columns, IReadOnlyList<IReadOnlyList<object>> rows)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Any(r => r.Count != columns.Count))
            throw new ArgumentException($"Every row of table {name} needs {columns.Count} cells, one per column.", nameof(rows));
        foreach (LoggerDestination destination in Destinations)
            destination.LogTable(_state.Timestamp, name, columns, rows);
    }

    /// <summary>Hands a file the run produced (a checkpoint) to the destinations that store files.</summary>
    public void UploadFile(string remoteName, string path)
    {
        foreach (LoggerDestination destination in Destinations)
            destination.UploadFile(_state, remoteName, path);
    }

    /// <summary>Logs the run's hyperparameters.</summary>
    public void LogHyperparameters(IReadOnlyDictionary<string, object> hyperparameters)
    {
        foreach (LoggerDestination destination in Destinations)
            destination.LogHyperparameters(hyperparameters);
    }
}
