using Composer.Core;
using Composer.Loggers;

namespace Composer.Callbacks;

/// <summary>
/// Logs each parameter group's learning rate after every batch as <c>lr-{Optimizer}/group{i}</c>, like
/// <c>composer.callbacks.LRMonitor</c>. The rates are plain numbers: logging them costs no device sync.
/// </summary>
public sealed class LRMonitor : Callback
{
    private string[]? _names;

    /// <summary>Logs the rates.</summary>
    [OnEvent(Event.BatchEnd)]
    public void LogLearningRates(State state, Logger logger)
    {
        var groups = state.Optimizer.ParamGroups.ToList();
        _names ??= Enumerable.Range(0, groups.Count).Select(i => $"lr-{state.Optimizer.GetType().Name}/group{i}").ToArray();
        var values = new Dictionary<string, double>(groups.Count, StringComparer.Ordinal);
        for (int i = 0; i < groups.Count && i < _names.Length; i++) values[_names[i]] = groups[i].LearningRate;
        logger.LogMetrics(values);
    }
}
