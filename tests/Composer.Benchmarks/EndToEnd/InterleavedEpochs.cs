using System.Diagnostics;

namespace Composer.Benchmarks.EndToEnd;

/// <summary>
/// <c>--interleaved mlp|cnn</c>: the plain loop and the Trainer in one process, epoch by epoch in turn, so both see the
/// same process, memory layout and machine state; prints the medians per batch and their ratio. BenchmarkDotNet runs
/// each benchmark in a process of its own, and on this 2-core machine processes differ by a few percent.
/// </summary>
internal static class InterleavedEpochs
{
    public static int Run(string model, int epochs = 15)
    {
        using var workload = new MnistWorkload(model);
        for (int i = 0; i < 3; i++)
        {
            workload.PlainEpoch();
            workload.TrainerEpoch();
        }
        var plain = new List<double>();
        var trainer = new List<double>();
        for (int i = 0; i < epochs; i++)
        {
            var clock = Stopwatch.StartNew();
            workload.PlainEpoch();
            plain.Add(clock.Elapsed.TotalMicroseconds / workload.BatchesPerEpoch);
            clock.Restart();
            workload.TrainerEpoch();
            trainer.Add(clock.Elapsed.TotalMicroseconds / workload.BatchesPerEpoch);
        }
        double p = Median(plain), t = Median(trainer);
        Console.WriteLine($"{model}: plain {p:F1} us, Trainer {t:F1} us per batch (medians of {epochs} epochs each, " +
            $"{MnistWorkload.Threads} thread); difference {t - p:F1} us, ratio {t / p:F3}");
        return 0;
    }

    private static double Median(List<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
