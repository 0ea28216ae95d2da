using System.Globalization;
using System.Text.Json;

namespace Composer.Callbacks;

/// <summary>
/// What a process can report about its memory when the device cannot: for <see cref="MemorySnapshot"/> and
/// <see cref="OOMObserver"/>. TorchSharp 0.107 exposes none of libtorch's CUDA allocator history
/// (<c>torch.cuda.memory._record_memory_history</c>, <c>_snapshot</c>), so the snapshot is the process's: resident set
/// and its peak, the managed heap, the garbage collections, and Linux's <c>/proc/self/status</c> memory lines.
/// </summary>
internal static class ProcessMemory
{
    /// <summary>Writes a JSON snapshot to <paramref name="path"/>, with <paramref name="extra"/> entries first.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, object> extra)
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        var snapshot = new Dictionary<string, object>(extra, StringComparer.Ordinal)
        {
            ["device_history"] = "not available: TorchSharp exposes no CUDA allocator history, so this is the host process's memory",
            ["time"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["rss_bytes"] = process.WorkingSet64,
            ["peak_rss_bytes"] = process.PeakWorkingSet64,
            ["private_bytes"] = process.PrivateMemorySize64,
            ["managed_heap_bytes"] = GC.GetTotalMemory(false),
            ["gc_collections"] = new[] { GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2) },
        };
        if (File.Exists("/proc/self/status"))
            snapshot["proc_status"] = File.ReadLines("/proc/self/status")
                .Where(l => l.StartsWith("Vm", StringComparison.Ordinal) || l.StartsWith("Rss", StringComparison.Ordinal))
                .ToDictionary(l => l[..l.IndexOf(':')], l => l[(l.IndexOf(':') + 1)..].Trim(), StringComparer.Ordinal);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(snapshot, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>A name pattern with <c>{run_name}</c>, <c>{rank}</c> and <c>{batch}</c> filled in.</summary>
    public static string Fill(string pattern, Core.State state) => pattern
        .Replace("{run_name}", state.RunName, StringComparison.Ordinal)
        .Replace("{rank}", state.Rank.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{batch}", state.Timestamp.Batch.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
}
