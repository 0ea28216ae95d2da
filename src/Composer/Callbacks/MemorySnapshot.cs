using Composer.Core;
using Composer.Loggers;

namespace Composer.Callbacks;

/// <summary>
/// Writes a memory snapshot after a chosen batch, as <c>composer.callbacks.MemorySnapshot</c>: after skipping
/// <c>skipBatches</c>, at the end of the batch that completes the <c>interval</c> after them (batch 4 by default), to <c>folder/filename.json</c>
/// (<c>{run_name}/torch_traces/rank{rank}.{batch}.memory_snapshot.json</c>), handed to the loggers that store files as
/// <c>remoteFileName/&lt;file&gt;</c>.
/// </summary>
/// <remarks>
/// Composer records the CUDA allocator's history between the two batches and pickles it with an HTML trace plot.
/// TorchSharp 0.107 exposes no allocator history, so the snapshot holds what the process can report (resident set and
/// peak, managed heap, collections, <c>/proc/self/status</c>) and says so in its <c>device_history</c> entry; on a CPU
/// this is the whole picture.
/// </remarks>
public sealed class MemorySnapshot : Callback
{
    private int _toSkip;
    private readonly Time _interval;
    private int _remainingBatches;
    private bool _taken;

    /// <summary>Creates the callback.</summary>
    /// <param name="skipBatches">Batches to let pass first (warm-up allocations).</param>
    /// <param name="interval">After how long the snapshot is taken (Composer's <c>3ba</c>).</param>
    /// <param name="folder">The folder; <c>{run_name}</c> is filled in.</param>
    /// <param name="filename">The file name without extension; <c>{rank}</c>, <c>{batch}</c> and <c>{run_name}</c> are filled in.</param>
    /// <param name="remoteFileName">The folder name the loggers store it under, or null not to hand it over.</param>
    public MemorySnapshot(int skipBatches = 1, [TimeString] string interval = "3ba", string folder = "{run_name}/torch_traces",
        string filename = "rank{rank}.{batch}.memory_snapshot", string? remoteFileName = "{run_name}/torch_memory_traces")
    {
        _toSkip = skipBatches;
        _interval = Time.Parse(interval);
        if (_interval.Unit != TimeUnit.Batch || _interval.Value < 1)
            throw new ArgumentException($"The interval is in batches, such as \"3ba\", not {_interval}.", nameof(interval));
        _remainingBatches = (int)_interval.Value;
        Folder = folder;
        Filename = filename;
        RemoteFileName = remoteFileName;
    }

    /// <summary>The folder pattern.</summary>
    public string Folder { get; }

    /// <summary>The file-name pattern.</summary>
    public string Filename { get; }

    /// <summary>The remote folder pattern.</summary>
    public string? RemoteFileName { get; }

    /// <summary>The snapshot written, once it is.</summary>
    public string? SnapshotPath { get; private set; }

    /// <summary>Counts the batches and takes the snapshot when due.</summary>
    [OnEvent(Event.BatchEnd)]
    public void AtBatchEnd(State state, Logger logger)
    {
        if (_taken) return;
        if (_toSkip > 0)
        {
            _toSkip--;
            return;
        }
        if (--_remainingBatches > 0) return;
        _taken = true;
        SnapshotPath = Path.Combine(ProcessMemory.Fill(Folder, state), ProcessMemory.Fill(Filename, state) + ".json");
        ProcessMemory.Write(SnapshotPath, new Dictionary<string, object> { ["batch"] = state.Timestamp.Batch, ["rank"] = state.Rank });
        if (RemoteFileName is not null)
            logger.UploadFile($"{ProcessMemory.Fill(RemoteFileName, state)}/{Path.GetFileName(SnapshotPath)}", SnapshotPath);
    }
}
