using BenchmarkDotNet.Attributes;

namespace Composer.Benchmarks.EndToEnd;

/// <summary>
/// One epoch of MNIST (125 batches of 64) per invocation, by a plain TorchSharp loop (the baseline) and by
/// the generated Trainer, for an MLP and Composer's small CNN. Times are per batch.
/// </summary>
[MemoryDiagnoser]
public class EndToEndBenchmarks
{
    private MnistWorkload _workload = null!;

    /// <summary>The model: <c>mlp</c> or <c>cnn</c>.</summary>
    [Params("mlp", "cnn")]
    public string Model { get; set; } = "mlp";

    /// <summary>Loads the data and builds the model.</summary>
    [GlobalSetup]
    public void Setup() => _workload = new MnistWorkload(Model);

    /// <summary>Records the plain loop's peak memory.</summary>
    [GlobalCleanup(Target = nameof(PlainLoop))]
    public void CleanupPlain() => Cleanup(nameof(PlainLoop));

    /// <summary>Records the Trainer's peak memory.</summary>
    [GlobalCleanup(Target = nameof(Trainer))]
    public void CleanupTrainer() => Cleanup(nameof(Trainer));

    private void Cleanup(string method)
    {
        PeakWorkingSet.Record(PeakWorkingSet.KeyOf(method, $"Model={Model}"));
        _workload.Dispose();
    }

    /// <summary>The hand-written loop.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = 125)]
    public void PlainLoop() => _workload.PlainEpoch();

    /// <summary>The generated Trainer.</summary>
    [Benchmark(OperationsPerInvoke = 125)]
    public void Trainer() => _workload.TrainerEpoch();
}
