using System.Globalization;
using Composer.Callbacks;
using Composer.Core;
using Composer.Loggers;
using Composer.Tests.Training;

namespace Composer.Tests.Callbacks;

/// <summary>SystemMetricsMonitor's values against their sources: /proc and the file system.</summary>
public class SystemMetricsMonitorTests
{
    [Test]
    public void LogsTheMachinesMemoryDiskAndNetworkAsPsutilNamesThemAtItsInterval()
    {
        if (!File.Exists("/proc/meminfo")) Assert.Ignore("Linux's /proc is needed.");
        var log = new InMemoryLogger();
        new BareOptionsTrainer(TestSetup.Options("2ep", withEval: false, callbacks: [new SystemMetricsMonitor(interval: 2)], loggers: [log])).Fit();

        // 6 batches, read at the start of the 1st, 3rd and 5th.
        Assert.That(log.Data["cpu_memory_total"].Select(v => v.Timestamp.Batch), Is.EqualTo(new long[] { 0, 2, 4 }));
        double memTotal = double.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        Assert.That(log.Data["cpu_memory_total"][0].Value, Is.EqualTo(memTotal));
        foreach (string key in new[] { "cpu_memory_available", "cpu_memory_used", "cpu_memory_free" })
            Assert.That(log.Data[key].Select(v => v.Value), Is.All.InRange(0, memTotal), key);
        Assert.That(log.Data["cpu_memory_percent"].Select(v => v.Value), Is.All.InRange(0, 100));
        var last = log.Data.ToDictionary(e => e.Key, e => e.Value[^1].Value);
        Assert.That(last["cpu_memory_percent"], Is.EqualTo(Math.Round(100 * (memTotal - last["cpu_memory_available"]) / memTotal, 1)).Within(0.2));

        var root = new DriveInfo("/");
        Assert.That(last["disk_memory_total"], Is.EqualTo(root.TotalSize));
        Assert.That(last["disk_memory_used"] + last["disk_memory_free"], Is.LessThanOrEqualTo(root.TotalSize));

        var received = log.Data["network_bytes_recv"].Select(v => v.Value).ToList();
        Assert.That(received, Is.Ordered, "counters since boot only grow");
        Assert.That(log.Data.Keys, Is.SupersetOf(new[]
        {
            "cpu_percentage", "cpu_memory_active", "cpu_memory_inactive", "cpu_memory_buffers", "cpu_memory_cached", "cpu_memory_shared",
            "cpu_memory_slab", "disk_memory_percent", "network_bytes_sent", "network_packets_sent", "network_packets_recv", "network_errin",
            "network_errout", "network_dropin", "network_dropout", "process_cpu_percentage", "process_memory_rss",
        }));
        Assert.That(log.Data["cpu_percentage"][0].Value, Is.EqualTo(0), "psutil's first reading has nothing to compare with");
        Assert.That(log.Data["cpu_percentage"].Skip(1).Select(v => v.Value), Is.All.InRange(0, 100));
        Assert.That(log.Data["process_memory_rss"][^1].Value, Is.GreaterThan(10 << 20));
        // This machine has no NVIDIA driver: no GPU values, and no error.
        if (!Composer.Utils.Nvml.Available)
            Assert.That(log.Data.Keys, Has.None.Contains("gpu_"));
    }
}
