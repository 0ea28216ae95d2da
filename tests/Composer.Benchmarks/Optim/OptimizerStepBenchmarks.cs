using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Composer.Benchmarks.EndToEnd;
using Composer.Models;
using Composer.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Benchmarks.Optim;

/// <summary>
/// One optimizer step over the MNIST MLP's parameters (gradients fixed), Composer's decoupled optimizers against
/// TorchSharp's SGD and AdamW with the same hyperparameters, each pair in one category with TorchSharp's as baseline.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class OptimizerStepBenchmarks
{
    private optim.Optimizer _sgd = null!, _sgdw = null!, _adamW = null!, _decoupledAdamW = null!;

    /// <summary>Four copies of the MLP with the same gradients, one per optimizer.</summary>
    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(MnistWorkload.Threads);
        IEnumerable<TorchSharp.Modules.Parameter> Parameters()
        {
            torch.manual_seed(3);
            var mlp = MnistModel.Mlp();
            foreach (var p in mlp.parameters())
            {
                torch.manual_seed(p.numel());
                using var grad = randn_like(p);
                (p * grad).sum().backward();
            }
            return mlp.parameters();
        }
        _sgd = optim.SGD(Parameters(), 0.05, momentum: 0.9, weight_decay: 5e-4);
        _sgdw = new DecoupledSGDW(Parameters(), 0.05, momentum: 0.9, weightDecay: 5e-4);
        _adamW = optim.AdamW(Parameters(), 1e-3, 0.9, 0.95, weight_decay: 1e-5);
        _decoupledAdamW = new DecoupledAdamW(Parameters(), 1e-3, 0.9, 0.95, weightDecay: 1e-5);
    }

    /// <summary>TorchSharp's SGD with momentum and (coupled) weight decay.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("SGD")]
    public void TorchSharpSgd() => _sgd.step();

    /// <summary>Composer's DecoupledSGDW.</summary>
    [Benchmark, BenchmarkCategory("SGD")]
    public void DecoupledSgdw() => _sgdw.step();

    /// <summary>TorchSharp's AdamW.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("AdamW")]
    public void TorchSharpAdamW() => _adamW.step();

    /// <summary>Composer's DecoupledAdamW.</summary>
    [Benchmark, BenchmarkCategory("AdamW")]
    public void DecoupledAdamW() => _decoupledAdamW.step();
}
