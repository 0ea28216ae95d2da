using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Composer.Benchmarks.EndToEnd;

/// <summary>
/// The process's peak resident set (VmHWM), which BenchmarkDotNet does not measure on Linux. Each
/// benchmark case runs in a process of its own, which writes its peak at cleanup into
/// <see cref="Directory"/>; the column reads it back in the host.
/// </summary>
public static class PeakWorkingSet
{
    /// <summary>The environment variable that passes the folder to the benchmark processes.</summary>
    public const string DirectoryVariable = "COMPOSER_BENCHMARK_PEAK_DIR";

    /// <summary>The folder the peaks are written to.</summary>
    public static string Directory => Environment.GetEnvironmentVariable(DirectoryVariable)
        ?? Path.Combine(Path.GetTempPath(), "composer-benchmark-peaks");

    /// <summary>Reads a field of <c>/proc/self/status</c> in bytes (VmHWM, VmRSS); 0 where there is none.</summary>
    public static long ReadStatus(string field)
    {
        if (!File.Exists("/proc/self/status")) return 0;
        foreach (string line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(field.Length + 1).Trim().TrimEnd("kB").Trim()) * 1024;
        return 0;
    }

    /// <summary>Writes this process's peak for <paramref name="key"/>.</summary>
    public static void Record(string key)
    {
        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllText(Path.Combine(Directory, key), ReadStatus("VmHWM").ToString());
    }

    /// <summary>The key of a benchmark case: its method and parameters (<c>Name=value</c>, comma-separated).</summary>
    public static string KeyOf(string method, string parameters) => $"{method}-{parameters}".Replace('=', '_').Replace(' ', '_');

    private static string ParametersOf(BenchmarkCase benchmarkCase) =>
        string.Join(",", benchmarkCase.Parameters.Items.Select(p => $"{p.Name}={p.Value}"));

    /// <summary>The column: peak resident set in MB, and its ratio to the baseline's.</summary>
    public sealed class Column() : CustomColumn("Peak RSS (MB) [ratio]",
        "Peak resident set (VmHWM) of the benchmark's process, and its ratio to the baseline's", UnitType.Size)
    {
        /// <inheritdoc/>
        public override string GetValue(Summary summary, BenchmarkCase benchmarkCase)
        {
            long? peak = Read(benchmarkCase);
            if (peak is null) return "-";
            BenchmarkCase? baseline = summary.BenchmarksCases.FirstOrDefault(c =>
                c.Descriptor.Baseline && ParametersOf(c) == ParametersOf(benchmarkCase));
            long? basePeak = baseline is null ? null : Read(baseline);
            string ratio = basePeak is > 0 ? $" [{(double)peak / basePeak.Value:F3}]" : "";
            return $"{peak / 1048576.0:F1}{ratio}";
        }

        private static long? Read(BenchmarkCase benchmarkCase)
        {
            string path = Path.Combine(Directory, KeyOf(benchmarkCase.Descriptor.WorkloadMethod.Name, ParametersOf(benchmarkCase)));
            return File.Exists(path) ? long.Parse(File.ReadAllText(path)) : null;
        }
    }
}
