using BenchmarkDotNet.Attributes;

namespace Composer.Benchmarks.EndToEnd;

/// <summary>
/// One epoch of MNIST (125 batches of 64) per invocation, by a plain TorchSharp loop (the baseline) and by
/// the generated Trainer, for an MLP and Composer's small CNN. Times are per batch.
/// </summary>
/// <remarks>
/// 40 iterations rather than the other benchmarks' 15: on this shared 2-core machine one epoch's time varies by 3 to 6%
/// from one iteration to the next, so the median of 15 moves by about 1.5%, more than the 1% the Trainer is held to.
/// </remarks>
[MemoryDiagnoser]
[IterationCount(40)]
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
