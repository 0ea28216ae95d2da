namespace Composer.Benchmarks.EndToEnd;

/// <summary>Quantiles of timings, for the probes that time loops in turn outside BenchmarkDotNet.</summary>
internal static class Quantiles
{
    /// <summary>The <paramref name="p"/> quantile (0.5: the median), interpolated between the nearest two values.</summary>
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        double[] sorted = [.. values.Order()];
        double position = p * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
    }
}
