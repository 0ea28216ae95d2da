using System.Diagnostics;
using Composer.Data;
using Composer.Datasets;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Benchmarks.EndToEnd;

/// <summary>
/// <c>--data-path</c>: the Trainer's way of taking a batch against the plain loop's, with no training in between, so
/// nothing but the data path is timed: the plain loop's <c>narrow</c> and two <c>index_select</c>s, against the
/// <see cref="DataLoader"/>'s enumerator, <see cref="Batch.To"/>, <see cref="Batch.Size"/> and
/// <see cref="Batch.TokenCount"/>, each in a batch dispose scope, one MNIST epoch of each in turn.
/// </summary>
internal static class DataPathTiming
{
    private const int BatchSize = MnistWorkload.BatchSize;
    private const int Seed = 17;

    public static int Run(int epochs = 400)
    {
        torch.set_num_threads(MnistWorkload.Threads);
        (TensorDataset train, TensorDataset test) = Mnist.Load();
        test.Dispose();
        var loader = new DataLoader(train, BatchSize, shuffle: true, seed: Seed);
        var plain = new List<double>();
        var composer = new List<double>();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            PlainEpoch(train, epoch);
            plain.Add(clock.Elapsed.TotalMicroseconds / loader.Count);
            clock.Restart();
            LoaderEpoch(loader, epoch);
            composer.Add(clock.Elapsed.TotalMicroseconds / loader.Count);
        }
        // The first eighth is warm-up (tiered JIT).
        double p = Quantiles.Percentile([.. plain.Skip(epochs / 8)], 0.5);
        double c = Quantiles.Percentile([.. composer.Skip(epochs / 8)], 0.5);
        Console.WriteLine($"data path per batch, medians of {epochs - epochs / 8} epochs: plain {p:F2} us, " +
            $"DataLoader + Batch {c:F2} us, difference {c - p:+0.00;-0.00} us");
        train.Dispose();
        return 0;
    }

    private static void PlainEpoch(TensorDataset train, long epoch)
    {
        using var epochScope = NewDisposeScope();
        using var generator = new torch.Generator((ulong)(Seed + epoch));
        Tensor order = randperm(train.Count, generator: generator);
        for (long start = 0; start < train.Count; start += BatchSize)
        {
            using var batchScope = NewDisposeScope();
            Tensor indices = order.narrow(0, start, Math.Min(BatchSize, train.Count - start));
            Tensor inputs = train.Inputs.index_select(0, indices);
            Tensor targets = train.Targets.index_select(0, indices);
            GC.KeepAlive(inputs);
            GC.KeepAlive(targets);
        }
    }

    private static void LoaderEpoch(DataLoader loader, long epoch)
    {
        using var epochScope = NewDisposeScope();
        loader.SetEpoch(epoch);
        using IEnumerator<Batch> batches = loader.GetEnumerator();
        long counted = 0;
        while (true)
        {
            using var batchScope = NewDisposeScope();
            if (!batches.MoveNext()) break;
            Batch batch = batches.Current.To(CPU);
            counted += batch.Size + batch.TokenCount;
        }
        GC.KeepAlive(counted);
    }
}
