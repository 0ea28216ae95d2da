using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Metrics;

/// <summary>
/// Composer's <c>LanguageCrossEntropy</c>: the cross entropy of [..., V] token logits against [...] token ids, summed over
/// the tokens and divided by the number of tokens that are not <see cref="IgnoreIndex"/> (over all batches).
/// </summary>
public class LanguageCrossEntropy(long ignoreIndex = -100) : SumMetric(2)
{
    /// <summary>Token ids not counted (Hugging Face's -100 for padding and unmasked tokens).</summary>
    public long IgnoreIndex { get; } = ignoreIndex;

    /// <inheritdoc/>
    public override string Name => "LanguageCrossEntropy";

    /// <inheritdoc/>
    public override void Update(Tensor outputs, Tensor targets)
    {
        using var scope = NewDisposeScope();
        Tensor flat = targets.reshape(-1).to(int64);
        Tensor logits = outputs.detach().reshape(flat.shape[0], -1).to(float32);
        Tensor loss = nn.functional.cross_entropy(logits, flat, ignore_index: IgnoreIndex, reduction: nn.Reduction.Sum);
        Add(stack([loss.to(float64), flat.ne(IgnoreIndex).sum().to(float64)]));
    }

    /// <inheritdoc/>
    protected override double Compute(double[] sums) => SafeDivide(sums[0], sums[1]);

    /// <inheritdoc/>
    public override Metric Clone() => new LanguageCrossEntropy(IgnoreIndex);
}

/// <summary>Composer's <c>LanguagePerplexity</c>: e to the <see cref="LanguageCrossEntropy"/>.</summary>
public sealed class LanguagePerplexity(long ignoreIndex = -100) : LanguageCrossEntropy(ignoreIndex)
{
    /// <inheritdoc/>
    public override string Name => "LanguagePerplexity";

    /// <inheritdoc/>
    protected override double Compute(double[] sums) => Math.Exp(base.Compute(sums));

    /// <inheritdoc/>
    public override Metric Clone() => new LanguagePerplexity(IgnoreIndex);
}

/// <summary>
/// Composer's <c>MaskedAccuracy</c>: the fraction of tokens predicted right among those whose target is not
/// <see cref="IgnoreIndex"/> (a masked language model's masked tokens). Outputs are [..., V] logits or predicted ids.
/// </summary>
public sealed class MaskedAccuracy(long ignoreIndex = -100) : SumMetric(2)
{
    /// <summary>Token ids not counted.</summary>
    public long IgnoreIndex { get; } = ignoreIndex;

    /// <inheritdoc/>
    public override string Name => "MaskedAccuracy";

    /// <inheritdoc/>
    public override void Update(Tensor outputs, Tensor targets)
    {
        using var scope = NewDisposeScope();
        Tensor predicted = outputs.dim() == targets.dim() + 1 ? outputs.argmax(-1) : outputs;
        Tensor mask = targets.ne(IgnoreIndex);
        Tensor correct = predicted.eq(targets).logical_and(mask).sum();
        Add(stack([correct.to(float64), mask.sum().to(float64)]));
    }

    /// <inheritdoc/>
    protected override double Compute(double[] sums) => SafeDivide(sums[0], sums[1]);

    /// <inheritdoc/>
    public override Metric Clone() => new MaskedAccuracy(IgnoreIndex);
}
