using Composer.Data;
using Composer.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Models;

/// <summary>
/// A model the Trainer can train: a <see cref="nn.Module"/> that knows its forward pass over a
/// <see cref="Batch"/>, its loss and its metrics, like <c>composer.models.ComposerModel</c>.
/// </summary>
public abstract class ComposerModel : nn.Module
{
    /// <summary>Names the module.</summary>
    protected ComposerModel(string name) : base(name)
    {
    }

    /// <summary>The training forward pass.</summary>
    public abstract Tensor Forward(Batch batch);

    /// <summary>The loss of <paramref name="outputs"/> against the batch's targets.</summary>
    public abstract Tensor Loss(Tensor outputs, Batch batch);

    /// <summary>The evaluation forward pass; the training one unless overridden.</summary>
    public virtual Tensor EvalForward(Batch batch) => Forward(batch);

    /// <summary>New metric instances for training (<paramref name="isTrain"/>) or evaluation, by name.</summary>
    public abstract IReadOnlyDictionary<string, Metric> CreateMetrics(bool isTrain);

    /// <summary>Adds a batch to <paramref name="metric"/>; by default outputs against the batch's targets.</summary>
    public virtual void UpdateMetric(Batch batch, Tensor outputs, Metric metric) => metric.Update(outputs, batch.Targets);
}
