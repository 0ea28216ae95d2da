using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Composer.Benchmarks.Precision;

/// <summary>
/// Time per batch of the generated Trainer in float32 against <see cref="Core.Precision.AmpBf16"/> (see
/// <see cref="PrecisionWorkload"/>); each invocation trains 20 batches. Within a model and layout the float32 run is the
/// baseline; a <c>+cl</c> model also trains with Composer's ChannelsLast.
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByParams)]
public class PrecisionBenchmarks
{
    private const int Batches = 20;
    private PrecisionWorkload _workload = null!;

    /// <summary>One of <see cref="PrecisionWorkload.Models"/>, with <c>+cl</c> for channels-last weights.</summary>
    [Params("mlp", "cnn", "cnn+cl", "torch-cnn", "torch-cnn+cl", "resnet", "resnet+cl", "text")]
    public string Model { get; set; } = "mlp";

    private string Network => Model.Replace("+cl", "", StringComparison.Ordinal);

    private bool UsesChannelsLast => Model.EndsWith("+cl", StringComparison.Ordinal);

    /// <summary>Builds the float32 workload.</summary>
    [GlobalSetup(Targets = [nameof(Fp32)])]
    public void SetupFp32() => _workload = new PrecisionWorkload(Network, Core.Precision.Fp32, UsesChannelsLast);

    /// <summary>Builds the bfloat16 workload.</summary>
    [GlobalSetup(Targets = [nameof(AmpBf16)])]
    public void SetupAmpBf16() => _workload = new PrecisionWorkload(Network, Core.Precision.AmpBf16, UsesChannelsLast);

    /// <summary>Float32.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Batches)]
    public void Fp32() => _workload.Train(Batches);

    /// <summary>Mixed precision in bfloat16.</summary>
    [Benchmark(OperationsPerInvoke = Batches)]
    public void AmpBf16() => _workload.Train(Batches);
}
