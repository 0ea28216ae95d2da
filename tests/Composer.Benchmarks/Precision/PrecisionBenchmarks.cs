using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Composer.Benchmarks.Precision;

/// <summary>
/// Time per batch of the generated Trainer in float32 against <see cref="Core.Precision.AmpBf16"/> (see
/// <see cref="PrecisionWorkload"/>); each invocation trains 20 batches. Within a model the float32 run is the baseline.
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByParams)]
public class PrecisionBenchmarks
{
    private const int Batches = 20;
    private PrecisionWorkload _workload = null!;

    /// <summary>mlp, cnn, resnet or text.</summary>
    [Params("mlp", "cnn", "resnet", "text")]
    public string Model { get; set; } = "mlp";

    /// <summary>Builds the float32 workload.</summary>
    [GlobalSetup(Targets = [nameof(Fp32)])]
    public void SetupFp32() => _workload = new PrecisionWorkload(Model, Core.Precision.Fp32);

    /// <summary>Builds the bfloat16 workload.</summary>
    [GlobalSetup(Targets = [nameof(AmpBf16)])]
    public void SetupAmpBf16() => _workload = new PrecisionWorkload(Model, Core.Precision.AmpBf16);

    /// <summary>Float32.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Batches)]
    public void Fp32() => _workload.Train(Batches);

    /// <summary>Mixed precision in bfloat16.</summary>
    [Benchmark(OperationsPerInvoke = Batches)]
    public void AmpBf16() => _workload.Train(Batches);
}
