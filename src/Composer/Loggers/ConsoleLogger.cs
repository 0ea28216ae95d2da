using System.Globalization;
using Composer.Core;

namespace Composer.Loggers;

/// <summary>
/// Prints logged metrics as plain lines, like <c>composer.loggers.ConsoleLogger</c>:
/// <c>[epoch=1][batch=250]: loss/train/total: 0.1234</c>. Training values are printed at most every
/// <c>logInterval</c>; evaluation metrics always.
/// </summary>
/// <param name="logInterval">How often to print training values, for example <c>"1ep"</c> or <c>"100ba"</c>.</param>
/// <param name="output">Where to write; the console when omitted.</param>
public sealed class ConsoleLogger([TimeString] string logInterval = "1ba", TextWriter? output = null) : LoggerDestination
{
    private readonly Time _interval = Time.Parse(logInterval);
    private readonly TextWriter _output = output ?? Console.Out;
    private long _lastPrinted = -1;

    /// <inheritdoc/>
    public override void LogMetrics(Timestamp timestamp, IReadOnlyDictionary<string, double> metrics)
    {
        bool evaluation = metrics.Keys.Any(k => k.StartsWith("metrics/", StringComparison.Ordinal) && !k.StartsWith("metrics/train/", StringComparison.Ordinal));
        long now = (long)timestamp.Get(_interval.Unit);
        if (!evaluation)
        {
            // Due when a multiple of the interval has been passed since the last print.
            long slot = _interval.Count == 0 ? now : now / _interval.Count;
            if (slot == _lastPrinted) return;
            _lastPrinted = slot;
        }
        foreach ((string name, double value) in metrics)
            _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[epoch={timestamp.Epoch}][batch={timestamp.Batch}]: {name}: {value:G6}"));
    }

    /// <inheritdoc/>
    public override void LogHyperparameters(IReadOnlyDictionary<string, object> hyperparameters)
    {
        foreach ((string name, object value) in hyperparameters)
            _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[hparam] {name}: {value}"));
    }
}
