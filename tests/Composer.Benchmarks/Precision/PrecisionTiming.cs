using System.Diagnostics;
using System.Globalization;
using Composer.Benchmarks.EndToEnd;

namespace Composer.Benchmarks.Precision;

/// <summary>
/// <c>--precision [rounds]</c>: float32 and bfloat16 mixed precision trained in turn in one process, for each model,
/// so the machine's drift falls on both alike: each round trains 10 batches of each precision, in an order that
/// alternates from round to round, after 5 warm-up batches each. Prints medians per batch and their ratio.
/// </summary>
internal static class PrecisionTiming
{
    public static int Run(int rounds = 11)
    {
        Console.WriteLine(FormattableString.Invariant($"{"model",-7} {"fp32 median (P25-P75)",-28} {"amp_bf16 median (P25-P75)",-28} speed-up"));
        foreach (string model in PrecisionWorkload.Models)
        {
            var full = new PrecisionWorkload(model, Core.Precision.Fp32);
            var mixed = new PrecisionWorkload(model, Core.Precision.AmpBf16);
            full.Train(5);
            mixed.Train(5);
            var fullTimes = new List<double>();
            var mixedTimes = new List<double>();
            for (int round = 0; round < rounds; round++)
            {
                foreach (bool isMixed in round % 2 == 0 ? new[] { false, true } : [true, false])
                {
                    var clock = Stopwatch.StartNew();
                    (isMixed ? mixed : full).Train(10);
                    (isMixed ? mixedTimes : fullTimes).Add(clock.Elapsed.TotalMilliseconds / 10);
                }
            }
            string Summary(List<double> t) => FormattableString.Invariant(
                $"{Quantiles.Percentile(t, 0.5):F2} ms ({Quantiles.Percentile(t, 0.25):F2}-{Quantiles.Percentile(t, 0.75):F2})");
            double ratio = Quantiles.Percentile(fullTimes, 0.5) / Quantiles.Percentile(mixedTimes, 0.5);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{model,-7} {Summary(fullTimes),-28} {Summary(mixedTimes),-28} {ratio:F2}x"));
        }
        return 0;
    }
}
