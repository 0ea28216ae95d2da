using Composer.Core;
using Composer.Loggers;

namespace Composer.Callbacks;

/// <summary>
/// Logs the process's memory after every batch (<c>memory/rss_mb</c>, <c>memory/peak_rss_mb</c> and
/// <c>memory/managed_mb</c>), like <c>composer.callbacks.MemoryMonitor</c>.
/// </summary>
/// <remarks>
/// Composer reports CUDA allocator statistics; TorchSharp 0.107 exposes none (there is no
/// <c>torch.cuda.memory_allocated</c>), so on CUDA this reports the host process only.
/// </remarks>
public sealed class MemoryMonitor : Callback
{
    /// <summary>Reads and logs the memory figures.</summary>
    [OnEvent(Event.AfterTrainBatch)]
    public void LogMemory(State state, Logger logger)
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        logger.LogMetrics(new Dictionary<string, double>(3, StringComparer.Ordinal)
        {
            ["memory/rss_mb"] = process.WorkingSet64 / 1048576.0,
            ["memory/peak_rss_mb"] = process.PeakWorkingSet64 / 1048576.0,
            ["memory/managed_mb"] = GC.GetTotalMemory(false) / 1048576.0,
        });
    }
}
