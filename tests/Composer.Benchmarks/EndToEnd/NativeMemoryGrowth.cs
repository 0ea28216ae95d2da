using System.Diagnostics;
using Composer.Core;

namespace Composer.Benchmarks.EndToEnd;

/// <summary>
/// Whether native memory grows with the step count: each loop trains 5,000 batches in a fresh process and
/// reports its resident set after 1,000 and after 5,000 (both whole epochs of 125 batches).
/// </summary>
public static class NativeMemoryGrowth
{
    private const string ChildFlag = "--native-memory-run";

    /// <summary>Runs every loop and model in a child process and prints a Markdown table.</summary>
    public static int Run()
    {
        Console.WriteLine("| model | loop | RSS after 1k steps (MB) | RSS after 5k steps (MB) | growth (MB) | live tensors 1k / 5k | peak RSS (MB) |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (string model in new[] { "mlp", "cnn" })
        foreach (string loop in new[] { "plain", "trainer" })
        {
            var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
            foreach (string arg in new[] { ChildFlag, loop, model }) start.ArgumentList.Add(arg);
            using Process child = Process.Start(start)!;
            string[] fields = child.StandardOutput.ReadToEnd().Trim().Split(' ');
            child.WaitForExit();
            if (child.ExitCode != 0 || fields.Length != 5) return child.ExitCode == 0 ? 1 : child.ExitCode;
            double[] mb = fields.Take(3).Select(f => long.Parse(f) / 1048576.0).ToArray();
            Console.WriteLine($"| {model} | {loop} | {mb[0]:F1} | {mb[1]:F1} | {mb[1] - mb[0]:+0.0;-0.0;0.0} | {fields[3]} / {fields[4]} | {mb[2]:F1} |");
        }
        return 0;
    }

    /// <summary>
    /// In the child: trains and prints "rss@1k rss@5k peak" in bytes and the live tensor counts at 1k and 5k.
    /// Each reading follows a full garbage collection, so what remains is what is really held.
    /// </summary>
    public static bool TryRunChild(string[] args)
    {
        if (args.Length != 3 || args[0] != ChildFlag) return false;
        using var workload = new MnistWorkload(args[2]);
        long at1k, at5k, live1k, live5k;
        if (args[1] == "plain")
        {
            for (int epoch = 0; epoch < 8; epoch++) workload.PlainEpoch();
            (at1k, live1k) = Read();
            for (int epoch = 8; epoch < 40; epoch++) workload.PlainEpoch();
            (at5k, live5k) = Read();
        }
        else
        {
            var trainer = workload.CreateTrainer(Time.FromBatches(1000));
            trainer.Fit();
            (at1k, live1k) = Read();
            trainer.State.MaxDuration = Time.FromBatches(5000);
            trainer.Fit();
            (at5k, live5k) = Read();
        }
        Console.WriteLine($"{at1k} {at5k} {PeakWorkingSet.ReadStatus("VmHWM")} {live1k} {live5k}");
        return true;
    }

    private static (long Rss, long LiveTensors) Read()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return (PeakWorkingSet.ReadStatus("VmRSS"), TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
