using Composer.Loss;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Metrics;

/// <summary>
/// Composer's <c>CrossEntropy</c> metric: each batch's mean soft cross entropy (targets as indices or probabilities,
/// <see cref="IgnoreIndex"/> left out), averaged over batches.
/// </summary>
public sealed class CrossEntropy(long ignoreIndex = -100) : SumMetric(2)
{
    /// <summary>Target indices not counted.</summary>
    public long IgnoreIndex { get; } = ignoreIndex;

    /// <inheritdoc/>
    public override string Name => "CrossEntropy";

    /// <inheritdoc/>
    public override void Update(Tensor outputs, Tensor targets)
    {
        using var scope = NewDisposeScope();
        Add(stack([LossFunctions.SoftCrossEntropy(outputs.detach(), targets, weight: null, ignoreIndex: IgnoreIndex).to(float64), tensor(1.0, float64, outputs.device)]));
    }

    /// <inheritdoc/>
    protected override double Compute(double[] sums) => SafeDivide(sums[0], sums[1]);

    /// <inheritdoc/>
    public override Metric Clone() => new CrossEntropy(IgnoreIndex);
}

/// <summary>Composer's <c>LossMetric</c>: any loss function's value per batch, averaged over batches.</summary>
public sealed class LossMetric(Func<Tensor, Tensor, Tensor> lossFunction) : SumMetric(2)
{
    private readonly Func<Tensor, Tensor, Tensor> _loss = lossFunction ?? throw new ArgumentNullException(nameof(lossFunction));

    /// <inheritdoc/>
    public override string Name => "LossMetric";

    /// <inheritdoc/>
    public override void Update(Tensor outputs, Tensor targets)
    {
        using var scope = NewDisposeScope();
        Add(stack([_loss(outputs.detach(), targets).to(float64), tensor(1.0, float64, outputs.device)]));
    }

    /// <inheritdoc/>
    protected override double Compute(double[] sums) => SafeDivide(sums[0], sums[1]);

    /// <inheritdoc/>
    public override Metric Clone() => new LossMetric(_loss);
}
