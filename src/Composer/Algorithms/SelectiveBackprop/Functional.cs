using Composer.Data;
using Composer.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// Whether selective backprop runs on this batch, as Composer's <c>should_selective_backprop</c>: between
    /// <paramref name="start"/> and <paramref name="end"/> (fractions of training), skipping every
    /// <paramref name="interrupt"/>-th batch so the model still sees whole batches now and then (0 never skips).
    /// </summary>
    public static bool ShouldSelectiveBackprop(double elapsed, long batchIndex, double start = 0.5, double end = 0.9, int interrupt = 2) =>
        start <= elapsed && elapsed < end && (interrupt == 0 || (batchIndex + 1) % interrupt != 0);

    /// <summary>
    /// The probability of choosing each sample by its loss rank (lowest first): percentile^(1/keep − 1), normalised,
    /// where the percentile of rank i of n is (i + 0.5) / n, as in Composer's <c>select_using_loss</c>.
    /// </summary>
    public static Tensor SelectionProbabilities(long count, double keep, Device? device = null)
    {
        using var scope = NewDisposeScope();
        Tensor percentiles = (arange(count, float64, device: device) + 0.5) / count;
        Tensor probabilities = percentiles.pow(1.0 / keep - 1.0);
        return (probabilities / probabilities.sum()).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Selective backprop (Jiang et al., 2019, "Accelerating Deep Learning by Focusing on the Biggest Losers",
    /// arXiv:1910.00762): runs the model without gradients, then keeps ⌊keep·n⌋ samples, drawn without replacement
    /// with a probability that grows with their loss's rank (<see cref="SelectionProbabilities"/>).
    /// </summary>
    /// <param name="batch">The batch.</param>
    /// <param name="model">The model, called on the (optionally downscaled) inputs.</param>
    /// <param name="lossPerSample">The loss of each sample from (outputs, targets).</param>
    /// <param name="keep">The share of samples to keep, in (0, 1].</param>
    /// <param name="scaleFactor">Downscale images for the selection pass when below 1 (a cheaper pass).</param>
    /// <returns>The kept samples: the same rows of every tensor of the batch.</returns>
    public static Batch SelectUsingLoss(Batch batch, ComposerModel model, Func<Tensor, Tensor, Tensor> lossPerSample, double keep = 0.5, double scaleFactor = 1.0)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(model);
        if (!(keep > 0 && keep <= 1)) throw new ArgumentOutOfRangeException(nameof(keep), keep, "The share to keep must be in (0, 1].");
        long n = batch.Size;
        long k = Math.Max(1, (long)(keep * n));
        using var scope = NewDisposeScope();
        Tensor losses;
        using (no_grad())
        {
            Tensor inputs = scaleFactor < 1 && batch.Inputs.dim() == 4
                ? nn.functional.interpolate(batch.Inputs, scale_factor: [scaleFactor, scaleFactor], mode: InterpolationMode.Bilinear, align_corners: false)
                : batch.Inputs;
            losses = lossPerSample(model.Forward(batch with { Inputs = inputs }), batch.Targets);
        }
        if (losses.dim() != 1 || losses.shape[0] != n)
            throw new InvalidOperationException($"The per-sample loss must have one value per sample ({n}); got shape [{string.Join(", ", losses.shape)}].");
        Tensor byLoss = losses.argsort();
        Tensor chosenRanks = multinomial(SelectionProbabilities(n, keep, losses.device), k, replacement: false);
        Tensor chosen = byLoss.index_select(0, chosenRanks);
        // Every tensor of the batch keeps the same rows (a text batch's mask with its ids).
        return batch.Map((_, t) => t.index_select(0, chosen).MoveToOuterDisposeScope());
    }

    /// <summary>Cross-entropy per sample: class indices (int64) or class probabilities as targets.</summary>
    public static Tensor CrossEntropyPerSample(Tensor outputs, Tensor targets) =>
        targets.dtype == int64
            ? nn.functional.cross_entropy(outputs, targets, reduction: nn.Reduction.None)
            : -(targets * nn.functional.log_softmax(outputs, 1)).sum(1);
}
