using System.Globalization;
using Composer.Core;
using Composer.Loggers;
using TorchSharp;

namespace Composer.Callbacks;

/// <summary>
/// Logs the machine's CPU, memory, disk and network use, the process's CPU and memory, and each GPU's utilisation,
/// memory activity, temperature and power, as <c>composer.callbacks.SystemMetricsMonitor</c>, at the start of every
/// <c>interval</c>-th training, evaluation and prediction batch. Names are Composer's (psutil's fields):
/// <c>cpu_percentage</c>, <c>cpu_memory_total</c>, <c>_available</c>, <c>_percent</c>, <c>_used</c>, <c>_free</c>,
/// <c>_active</c>, <c>_inactive</c>, <c>_buffers</c>, <c>_cached</c>, <c>_shared</c>, <c>_slab</c> (bytes),
/// <c>disk_memory_total</c>, <c>_used</c>, <c>_free</c>, <c>_percent</c> (of <c>/</c>), <c>network_bytes_sent</c>,
/// <c>_bytes_recv</c>, <c>_packets_sent</c>, <c>_packets_recv</c>, <c>_errin</c>, <c>_errout</c>, <c>_dropin</c>,
/// <c>_dropout</c> (all interfaces since boot); and <c>process_cpu_percentage</c>, <c>process_memory_rss</c>, which
/// Composer lacks.
/// </summary>
/// <remarks>
/// The machine's figures come from Linux's <c>/proc</c> (absent elsewhere); the GPU's from NVML
/// (<c>libnvidia-ml.so.1</c>, loaded when present: on a CPU machine there are simply no GPU values). With several
/// processes the GPU values are gathered from every rank and, as Composer's, only each one's minimum and maximum are
/// logged with the rank in the name (<c>min_gpu_percentage_rank_0</c>), or every rank's with <c>logAllData</c>
/// (<c>gpu_percentage_rank_1</c>); during evaluation and prediction each rank logs its own, as ranks may see different
/// numbers of those batches. CPU percentages are over the time since the previous reading (0 at the first).
/// </remarks>
public sealed class SystemMetricsMonitor : Callback
{
    private static readonly string[] GpuKeys = ["gpu_percentage", "memory_percentage", "gpu_temperature_C", "gpu_power_usage_W"];
    private readonly Dictionary<string, double> _metrics = new(StringComparer.Ordinal);
    private (ulong Busy, ulong Total)? _lastCpu;
    private (TimeSpan Cpu, long Ticks)? _lastProcess;
    private long _batches;

    /// <summary>Creates the monitor.</summary>
    /// <param name="logAllData">Log every rank's GPU values instead of their minimum and maximum.</param>
    /// <param name="interval">Read and log at every <c>interval</c>-th batch (Composer: every batch).</param>
    public SystemMetricsMonitor(bool logAllData = false, int interval = 1)
    {
        LogAllData = logAllData;
        Interval = interval >= 1 ? interval : throw new ArgumentOutOfRangeException(nameof(interval), interval, "Log at least every batch, 1 or more.");
    }

    /// <summary>Whether every rank's GPU values are logged.</summary>
    public bool LogAllData { get; }

    /// <summary>Every how many batches the values are read.</summary>
    public int Interval { get; }

    /// <summary>At a training batch's start.</summary>
    [OnEvent(Event.BatchStart)]
    public void AtBatch(State state, Logger logger) => MaybeLog(state, logger, gather: true);

    /// <summary>At an evaluation batch's start.</summary>
    [OnEvent(Event.EvalBatchStart)]
    public void AtEvalBatch(State state, Logger logger) => MaybeLog(state, logger, gather: false);

    /// <summary>At a prediction batch's start.</summary>
    [OnEvent(Event.PredictBatchStart)]
    public void AtPredictBatch(State state, Logger logger) => MaybeLog(state, logger, gather: false);

    // Ranks may hold different numbers of evaluation and prediction batches, so only training batches gather: a
    // collective that one rank skips would wait for ever.
    private void MaybeLog(State state, Logger logger, bool gather)
    {
        if (_batches++ % Interval != 0) return;
        _metrics.Clear();
        ReadGpu(state, gather);
        ReadCpu();
        ReadMemory();
        ReadDisk();
        ReadNetwork();
        ReadProcess();
        logger.LogMetrics(_metrics);
    }

    private void ReadGpu(State state, bool gather)
    {
        // Every rank takes part in the gather, with NaN where it has no reading, so the collective never hangs.
        int world = gather ? state.Communicator.WorldSize : 1;
        Utils.Nvml.Reading? reading = state.Device.type == DeviceType.CUDA || Utils.Nvml.Available
            ? Utils.Nvml.Read(state.Communicator.LocalRank)
            : null;
        double[] mine = reading is { } r ? [r.GpuPercent, r.MemoryPercent, r.TemperatureC, r.PowerW] : [double.NaN, double.NaN, double.NaN, double.NaN];
        double[] all = mine;
        if (world > 1)
        {
            using var local = torch.tensor(mine);
            using var gathered = torch.zeros(4L * world, torch.float64);
            state.Communicator.AllGather(local, gathered);
            all = gathered.data<double>().ToArray();
        }
        for (int k = 0; k < GpuKeys.Length; k++)
        {
            int offset = gather ? 0 : state.Rank;
            var values = Enumerable.Range(0, world).Select(rank => (Rank: rank + offset, Value: all[rank * 4 + k])).Where(v => !double.IsNaN(v.Value)).ToList();
            if (values.Count == 0) continue;
            if (LogAllData)
            {
                foreach ((int rank, double value) in values) _metrics[$"{GpuKeys[k]}_rank_{rank}"] = value;
                continue;
            }
            var min = values.MinBy(v => v.Value);
            var max = values.MaxBy(v => v.Value);
            _metrics[$"min_{GpuKeys[k]}_rank_{min.Rank}"] = min.Value;
            _metrics[$"max_{GpuKeys[k]}_rank_{max.Rank}"] = max.Value;
        }
    }

    // psutil.cpu_percent(): the busy share of all CPUs' time since the previous call.
    private void ReadCpu()
    {
        if (!File.Exists("/proc/stat")) return;
        string line = File.ReadLines("/proc/stat").First();
        ulong[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(ulong.Parse).ToArray();
        // user nice system idle iowait irq softirq steal (guest time is already in user and nice).
        ulong total = fields.Take(8).Aggregate(0UL, (a, b) => a + b);
        ulong idle = fields[3] + (fields.Length > 4 ? fields[4] : 0);
        ulong busy = total - idle;
        double percent = 0;
        if (_lastCpu is { } last && total > last.Total)
            percent = Math.Round(100.0 * (busy - Math.Min(busy, last.Busy)) / (total - last.Total), 1);
        _lastCpu = (busy, total);
        _metrics["cpu_percentage"] = percent;
    }

    // psutil.virtual_memory() on Linux, in bytes.
    private void ReadMemory()
    {
        if (!File.Exists("/proc/meminfo")) return;
        var info = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines("/proc/meminfo"))
        {
            string[] parts = line.Split(':', 2);
            if (parts.Length == 2 && double.TryParse(parts[1].Trim().Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double kb))
                info[parts[0]] = kb * 1024;
        }
        double Get(string key) => info.GetValueOrDefault(key);
        double total = Get("MemTotal"), free = Get("MemFree"), buffers = Get("Buffers");
        double cached = Get("Cached") + Get("SReclaimable");
        double available = info.TryGetValue("MemAvailable", out double a) ? a : free + buffers + cached;
        double used = total - free - cached - buffers;
        if (used < 0) used = total - free;
        _metrics["cpu_memory_total"] = total;
        _metrics["cpu_memory_available"] = available;
        _metrics["cpu_memory_percent"] = total > 0 ? Math.Round(100 * (total - available) / total, 1) : 0;
        _metrics["cpu_memory_used"] = used;
        _metrics["cpu_memory_free"] = free;
        _metrics["cpu_memory_active"] = Get("Active");
        _metrics["cpu_memory_inactive"] = Get("Inactive");
        _metrics["cpu_memory_buffers"] = buffers;
        _metrics["cpu_memory_cached"] = cached;
        _metrics["cpu_memory_shared"] = Get("Shmem");
        _metrics["cpu_memory_slab"] = Get("Slab");
    }

    // psutil.disk_usage('/'): used counts the blocks in use, free those an unprivileged user may take.
    private void ReadDisk()
    {
        var root = new DriveInfo(Path.GetPathRoot(Environment.SystemDirectory) is { Length: > 0 } system ? system : "/");
        double total = root.TotalSize, free = root.AvailableFreeSpace, used = total - root.TotalFreeSpace;
        _metrics["disk_memory_total"] = total;
        _metrics["disk_memory_used"] = used;
        _metrics["disk_memory_free"] = free;
        _metrics["disk_memory_percent"] = used + free > 0 ? Math.Round(100 * used / (used + free), 1) : 0;
    }

    // psutil.net_io_counters(): every interface's counters summed.
    private void ReadNetwork()
    {
        if (!File.Exists("/proc/net/dev")) return;
        double[] sums = new double[16];
        foreach (string line in File.ReadLines("/proc/net/dev").Skip(2))
        {
            string[] fields = line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (int i = 0; i < 16 && i < fields.Length; i++) sums[i] += double.Parse(fields[i], CultureInfo.InvariantCulture);
        }
        // Receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes packets errs drop ...
        _metrics["network_bytes_sent"] = sums[8];
        _metrics["network_bytes_recv"] = sums[0];
        _metrics["network_packets_sent"] = sums[9];
        _metrics["network_packets_recv"] = sums[1];
        _metrics["network_errin"] = sums[2];
        _metrics["network_errout"] = sums[10];
        _metrics["network_dropin"] = sums[3];
        _metrics["network_dropout"] = sums[11];
    }

    private void ReadProcess()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        TimeSpan cpu = process.TotalProcessorTime;
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        double percent = 0;
        if (_lastProcess is { } last)
        {
            double wall = System.Diagnostics.Stopwatch.GetElapsedTime(last.Ticks, now).TotalSeconds;
            // As psutil's Process.cpu_percent: 100 is one core busy all the time.
            if (wall > 0) percent = Math.Round(100 * (cpu - last.Cpu).TotalSeconds / wall, 1);
        }
        _lastProcess = (cpu, now);
        _metrics["process_cpu_percentage"] = percent;
        _metrics["process_memory_rss"] = process.WorkingSet64;
    }
}
