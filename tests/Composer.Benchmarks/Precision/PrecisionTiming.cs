using System.Diagnostics;
using System.Globalization;
using Composer.Benchmarks.EndToEnd;

namespace Composer.Benchmarks.Precision;

/// <summary>
/// <c>--precision [rounds]</c>: float32 and bfloat16 mixed precision trained in turn in one process, for each model,
/// so the machine's drift falls on all alike; the convolutional models also train with channels-last weights
/// (<see cref="Algorithms.ChannelsLast"/>) in both precisions. Each round trains 10 batches of each arm, in an order
/// that rotates from round to round, after 5 warm-up batches each. Prints medians per batch and their ratios to float32
/// in the same layout and to plain float32.
/// </summary>
internal static class PrecisionTiming
{
    private sealed record Arm(string Name, PrecisionWorkload Workload)
    {
        public List<double> Times { get; } = [];
    }

    public static int Run(int rounds = 11)
    {
        Console.WriteLine(FormattableString.Invariant(
            $"{"model",-10} {"arm",-16} {"median (P25-P75)",-28} {"vs fp32, same layout",-21} vs fp32"));
        foreach (string model in PrecisionWorkload.Models)
        {
            var arms = new List<Arm>
            {
                new("fp32", new PrecisionWorkload(model, Core.Precision.Fp32)),
                new("amp_bf16", new PrecisionWorkload(model, Core.Precision.AmpBf16)),
            };
            if (PrecisionWorkload.IsConvolutional(model))
            {
                arms.Add(new("fp32 + cl", new PrecisionWorkload(model, Core.Precision.Fp32, channelsLast: true)));
                arms.Add(new("amp_bf16 + cl", new PrecisionWorkload(model, Core.Precision.AmpBf16, channelsLast: true)));
            }
            foreach (Arm arm in arms) arm.Workload.Train(5);
            for (int round = 0; round < rounds; round++)
            {
                for (int i = 0; i < arms.Count; i++)
                {
                    Arm arm = arms[(i + round) % arms.Count];
                    var clock = Stopwatch.StartNew();
                    arm.Workload.Train(10);
                    arm.Times.Add(clock.Elapsed.TotalMilliseconds / 10);
                }
            }
            double Median(Arm arm) => Quantiles.Percentile(arm.Times, 0.5);
            for (int i = 0; i < arms.Count; i++)
            {
                Arm arm = arms[i];
                // The float32 arm of the same layout: the one two places before a channels-last arm.
                Arm sameLayout = arms[i < 2 ? 0 : 2];
                string summary = FormattableString.Invariant(
                    $"{Median(arm):F2} ms ({Quantiles.Percentile(arm.Times, 0.25):F2}-{Quantiles.Percentile(arm.Times, 0.75):F2})");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{model,-10} {arm.Name,-16} {summary,-28} {Median(sameLayout) / Median(arm),-21:F2} {Median(arms[0]) / Median(arm):F2}"));
            }
        }
        return 0;
    }

    /// <summary>
    /// <c>--precision-arm MODEL fp32|amp_bf16 [cl] BATCHES</c>: one arm alone, 5 warm-up batches and then
    /// <paramref name="batches"/>, printing the mean per batch: a process to run under a profiler such as <c>perf record</c>.
    /// </summary>
    public static int RunArm(string model, string precision, bool channelsLast, int batches)
    {
        Core.Precision chosen = precision switch
        {
            "fp32" => Core.Precision.Fp32,
            "amp_bf16" => Core.Precision.AmpBf16,
            _ => throw new ArgumentException($"Unknown precision {precision}; use fp32 or amp_bf16.", nameof(precision)),
        };
        var workload = new PrecisionWorkload(model, chosen, channelsLast);
        workload.Train(5);
        var clock = Stopwatch.StartNew();
        workload.Train(batches);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{model} {precision}{(channelsLast ? " + cl" : "")}: {clock.Elapsed.TotalMilliseconds / batches:F2} ms per batch over {batches}"));
        return 0;
    }
}
