using Composer.Data;
using Composer.Metrics;
using Composer.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Benchmarks.Dispatch;

/// <summary>One weight and a sum: the cheapest model the loop can train, so the loop itself shows.</summary>
public sealed class TinyModel : ComposerModel
{
    private readonly Parameter _weight;

    /// <summary>Creates the model with its weight at 1.</summary>
    public TinyModel() : base(nameof(TinyModel))
    {
        _weight = new Parameter(ones(1));
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor Forward(Batch batch) => batch.Inputs * _weight;

    /// <inheritdoc/>
    public override Tensor Loss(Tensor outputs, Batch batch) => outputs.sum();

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, Metric> CreateMetrics(bool isTrain) => new Dictionary<string, Metric>();
}
