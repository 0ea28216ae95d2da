using System.Diagnostics;
using Composer.Core;
using Composer.Data;
using Composer.Datasets;
using Composer.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Benchmarks.EndToEnd;

/// <summary>
/// <c>--phases tiny|mlp|cnn [rounds]</c>: where the Trainer's time per batch goes beyond the plain loop's, and the
/// Trainer-to-plain ratio with the machine's drift taken out. Four loops over the
/// same data order, model and optimizer run epoch by epoch in turn in one process, each adding one part of the
/// Trainer to the one before: the plain loop; the Composer <see cref="DataLoader"/> and its <see cref="Batch"/>
/// (<see cref="Batch.To"/>, <see cref="Batch.Size"/>, <see cref="Batch.TokenCount"/>); the
/// <see cref="ComposerClassifier"/>'s forward and soft cross-entropy loss; and the generated Trainer itself (state,
/// microbatches, timestamp, logging, schedules). Each step's median minus the step before it is what that part costs.
/// <c>tiny</c> is one 4 -> 10 linear layer on random 4-feature samples: its tensors are so small that the batch costs
/// little more than the calls into libtorch, so the Trainer's fixed cost per batch stands out of the noise.
/// BenchmarkDotNet runs each loop in a process of its own, one after the other, and on this shared 2-core machine the
/// speed drifts by up to 15% between them; here every round runs each loop for one epoch, in an order that rotates
/// from round to round, so each round's Trainer / plain ratio compares epochs a second apart.
/// </summary>
internal static class PhaseTiming
{
    private const int BatchSize = MnistWorkload.BatchSize;
    private const int Seed = 17;

    public static int Run(string modelKind, int rounds = 101)
    {
        torch.set_num_threads(MnistWorkload.Threads);
        torch.manual_seed(Seed);
        TensorDataset train;
        if (modelKind == "tiny")
        {
            // As many samples as MNIST's training split, of 4 features: every op works on a few hundred bytes.
            train = new TensorDataset(randn(7996, 4), randint(0, 10, [7996]));
        }
        else
        {
            (train, TensorDataset test) = Mnist.Load();
            test.Dispose();
        }
        nn.Module<Tensor, Tensor> module = modelKind switch
        {
            "tiny" => nn.Linear(4, 10),
            "mlp" => MnistModel.Mlp(),
            "cnn" => MnistModel.Cnn(),
            _ => throw new ArgumentException($"Unknown model {modelKind}; use tiny, mlp or cnn.", nameof(modelKind)),
        };
        var classifier = new ComposerClassifier(module, numClasses: 10);
        optim.Optimizer optimizer = optim.Adam(module.parameters(), lr: 1e-3);
        var loader = new DataLoader(train, BatchSize, shuffle: true, seed: Seed);
        var trainer = new EndToEndTrainer(new TrainerOptions
        {
            Model = classifier, TrainDataloader = loader, MaxDuration = Time.FromEpochs(0),
            Optimizer = optimizer, Seed = Seed, Device = CPU,
        });
        long epoch = 0;
        var phases = new (string Name, Action Epoch)[]
        {
            ("plain loop", () => PlainEpoch(train, module, optimizer, epoch)),
            ("+ DataLoader and Batch", () => LoaderEpoch(loader, module, optimizer, epoch)),
            ("+ ComposerClassifier forward and loss", () => ClassifierEpoch(loader, classifier, optimizer, epoch)),
            ("+ the generated Trainer (all of it)", () =>
            {
                trainer.State.MaxDuration = Time.FromEpochs(trainer.State.Timestamp.Epoch + 1);
                trainer.Fit();
            }),
        };
        var times = phases.Select(_ => new List<double>()).ToArray();
        var allocated = new long[phases.Length];
        long batches = loader.Count;
        for (int round = -3; round < rounds; round++, epoch++)
        {
            // Each round starts one loop later, so no loop always runs right after the same other one.
            for (int turn = 0; turn < phases.Length; turn++)
            {
                int p = (turn + round + 3) % phases.Length;
                long bytes = GC.GetAllocatedBytesForCurrentThread();
                var clock = Stopwatch.StartNew();
                phases[p].Epoch();
                if (round < 0) continue;
                times[p].Add(clock.Elapsed.TotalMicroseconds / batches);
                allocated[p] += GC.GetAllocatedBytesForCurrentThread() - bytes;
            }
        }
        Console.WriteLine($"{modelKind}: medians per batch of {rounds} epochs each ({batches} batches of {BatchSize}, " +
            $"{MnistWorkload.Threads} thread), the loops in turn");
        Console.WriteLine("| Loop | Median per batch | Added by this step | Spread (P25-P75) | Managed bytes per batch |");
        Console.WriteLine("|---|---|---|---|---|");
        double previous = 0;
        for (int p = 0; p < phases.Length; p++)
        {
            double median = Quantiles.Percentile(times[p], 0.5);
            string added = p == 0 ? "-" : $"{median - previous:+0.00;-0.00} us";
            string spread = $"{Quantiles.Percentile(times[p], 0.25):F2}-{Quantiles.Percentile(times[p], 0.75):F2} us";
            double bytes = allocated[p] / (double)(rounds * batches);
            Console.WriteLine($"| {phases[p].Name} | {median:F2} us | {added} | {spread} | {bytes:F0} B |");
            previous = median;
        }
        double plain = Quantiles.Percentile(times[0], 0.5), whole = Quantiles.Percentile(times[^1], 0.5);
        // Epochs next to each other share the machine's state, so the ratio within a round cancels its drift.
        List<double> paired = [.. times[^1].Zip(times[0], (t, p) => t / p)];
        Console.WriteLine($"Trainer / plain: {whole / plain:F4} of the medians ({whole - plain:+0.00;-0.00} us a batch); " +
            $"median of the {rounds} rounds' ratios {Quantiles.Percentile(paired, 0.5):F4} (P25-P75 {Quantiles.Percentile(paired, 0.25):F4}-{Quantiles.Percentile(paired, 0.75):F4})");
        classifier.Dispose();
        train.Dispose();
        return 0;
    }

    // MnistWorkload.PlainEpoch's loop: the order drawn from seed + epoch, as the Composer DataLoader draws it.
    private static void PlainEpoch(TensorDataset train, nn.Module<Tensor, Tensor> module, optim.Optimizer optimizer, long epoch)
    {
        module.train();
        using var epochScope = NewDisposeScope();
        using var generator = new torch.Generator((ulong)(Seed + epoch));
        Tensor order = randperm(train.Count, generator: generator);
        for (long start = 0; start < train.Count; start += BatchSize)
        {
            using var batchScope = NewDisposeScope();
            Tensor indices = order.narrow(0, start, Math.Min(BatchSize, train.Count - start));
            Tensor inputs = train.Inputs.index_select(0, indices);
            Tensor targets = train.Targets.index_select(0, indices);
            optimizer.zero_grad();
            Tensor loss = nn.functional.cross_entropy(module.call(inputs), targets);
            loss.backward();
            optimizer.step();
        }
    }

    // The same, with the batches taken as the Trainer takes them.
    private static void LoaderEpoch(DataLoader loader, nn.Module<Tensor, Tensor> module, optim.Optimizer optimizer, long epoch)
    {
        module.train();
        using var epochScope = NewDisposeScope();
        loader.SetEpoch(epoch);
        using IEnumerator<Batch> batches = loader.GetEnumerator();
        long samples = 0, tokens = 0;
        while (true)
        {
            using var batchScope = NewDisposeScope();
            if (!batches.MoveNext()) break;
            Batch batch = batches.Current.To(CPU);
            samples += batch.Size;
            tokens += batch.TokenCount;
            optimizer.zero_grad();
            Tensor loss = nn.functional.cross_entropy(module.call(batch.Inputs), batch.Targets);
            loss.backward();
            optimizer.step();
        }
        GC.KeepAlive(samples + tokens);
    }

    // And with the model called through the ComposerModel, as the Trainer calls it. A copy of LoaderEpoch on purpose:
    // with the loss passed in as a delegate, both loops measured 30 B a batch more than either does written out.
    private static void ClassifierEpoch(DataLoader loader, ComposerClassifier model, optim.Optimizer optimizer, long epoch)
    {
        model.train();
        using var epochScope = NewDisposeScope();
        loader.SetEpoch(epoch);
        using IEnumerator<Batch> batches = loader.GetEnumerator();
        long samples = 0, tokens = 0;
        while (true)
        {
            using var batchScope = NewDisposeScope();
            if (!batches.MoveNext()) break;
            Batch batch = batches.Current.To(CPU);
            samples += batch.Size;
            tokens += batch.TokenCount;
            optimizer.zero_grad();
            Tensor loss = model.Loss(model.Forward(batch), batch);
            loss.backward();
            optimizer.step();
        }
        GC.KeepAlive(samples + tokens);
    }
}
