using Composer.Data;
using Composer.Loss;
using Composer.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Models;

/// <summary>
/// Wraps a classification module as a <see cref="ComposerModel"/>, like <c>composer.models.ComposerClassifier</c>:
/// the loss is <see cref="LossFunctions.SoftCrossEntropy(Tensor, Tensor)"/> (so smoothed and mixed targets work), and the
/// metrics are <see cref="Accuracy"/> unless others are given (<c>metrics: [new Accuracy(), new BinaryF1Score()]</c>, as
/// Composer's <c>metrics=[...]</c>); training and each evaluator get their own copies, logged as
/// <c>metrics/&lt;evaluator&gt;/&lt;name&gt;</c>.
/// </summary>
public sealed class ComposerClassifier : ComposerModel
{
    private readonly nn.Module<Tensor, Tensor> _module;
    private readonly Func<Tensor, Tensor, Tensor> _loss;
    private readonly MetricSet _metrics;

    /// <summary>Wraps <paramref name="module"/>, which maps inputs to <paramref name="numClasses"/> logits.</summary>
    /// <param name="module">The network.</param>
    /// <param name="numClasses">The number of classes the module scores.</param>
    /// <param name="loss">The loss of logits against targets; soft cross entropy unless given.</param>
    /// <param name="metrics">The metrics to track (copied for training and each evaluator); <see cref="Accuracy"/> unless given.</param>
    /// <exception cref="ArgumentException">Two metrics share a name.</exception>
    public ComposerClassifier(nn.Module<Tensor, Tensor> module, int numClasses, Func<Tensor, Tensor, Tensor>? loss = null,
        IReadOnlyList<Metric>? metrics = null)
        : base(nameof(ComposerClassifier))
    {
        _metrics = new MetricSet(metrics);
        ArgumentNullException.ThrowIfNull(module);
        if (numClasses < 2)
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "A classifier needs at least two classes.");
        _module = module;
        _loss = loss ?? LossFunctions.SoftCrossEntropy;
        NumClasses = numClasses;
        register_module("module", module);
    }

    /// <summary>The number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>The wrapped network.</summary>
    public nn.Module<Tensor, Tensor> Module => _module;

    /// <inheritdoc/>
    public override Tensor Forward(Batch batch) => _module.call(batch.Inputs);

    /// <inheritdoc/>
    public override Tensor Loss(Tensor outputs, Batch batch) => _loss(outputs, batch.Targets);

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, Metric> CreateMetrics(bool isTrain) => _metrics.Create();
}
