using Composer.Data;
using static TorchSharp.torch;

namespace Composer;

/// <summary>
/// Splits a batch into microbatches of at most a given size (Composer's <c>device_train_microbatch_size</c>) and
/// back-propagates each microbatch's loss scaled by its share of the batch, so the accumulated gradients equal the
/// whole batch's for a mean-reduced loss. One instance is reused for every batch.
/// </summary>
public sealed class Microbatches
{
    private readonly int? _size;
    private readonly Optim.GradScaler? _scaler;
    private Batch[] _parts = [];
    private Batch? _whole;
    private Tensor? _loss;

    /// <summary>Creates the splitter.</summary>
    /// <param name="size">Samples per microbatch; null for the whole batch at once.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is less than 1.</exception>
    /// <param name="scaler">Scales each loss before backward (float16 mixed precision); none by default.</param>
    public Microbatches(int? size, Optim.GradScaler? scaler = null)
    {
        _size = RequireSize(size, nameof(size));
        _scaler = scaler;
    }

    /// <summary>The rule for a microbatch size, wherever one is set: at least 1, or null for the whole batch.</summary>
    internal static int? RequireSize(int? size, string parameter) => size is < 1
        ? throw new ArgumentOutOfRangeException(parameter, size, "DeviceTrainMicrobatchSize must be at least 1 (or null for the whole batch).")
        : size;

    /// <summary>How many microbatches the last split made.</summary>
    public int Count { get; private set; }

    /// <summary>Microbatch <paramref name="index"/> of the last split: views of every tensor of the whole batch.</summary>
    public Batch this[int index] => _parts[index];

    /// <summary>The batch that was split.</summary>
    public Batch WholeBatch => _whole ?? throw new InvalidOperationException("Split a batch first.");

    /// <summary>The whole batch's loss: the one loss when there is one microbatch, else the sum of the scaled losses.</summary>
    public Tensor Loss => _loss ?? throw new InvalidOperationException("Back-propagate the microbatches' losses first.");

    /// <summary>Splits <paramref name="batch"/>; returns how many microbatches (1 when no size is set or the batch is no larger).</summary>
    public int Split(Batch batch)
    {
        _whole = batch ?? throw new ArgumentNullException(nameof(batch));
        _loss = null;
        // The size is a call into libtorch: read only when a microbatch size asks for it.
        long size = _size is null ? 0 : batch.Size;
        int count = _size is { } micro && micro < size ? (int)((size + micro - 1) / micro) : 1;
        if (_parts.Length != count) _parts = new Batch[count];
        if (count == 1)
        {
            _parts[0] = batch;
        }
        else
        {
            long step = _size!.Value;
            for (int i = 0; i < count; i++)
            {
                long start = i * step;
                long length = Math.Min(step, size - start);
                _parts[i] = batch.Narrow(start, length);
            }
        }
        Count = count;
        return count;
    }

    /// <summary>
    /// Back-propagates the loss of <paramref name="microbatch"/>, scaled by its size over the whole batch's when the
    /// batch was split, and adds it to <see cref="Loss"/>.
    /// </summary>
    public void Backward(Batch microbatch, Tensor loss)
    {
        ArgumentNullException.ThrowIfNull(microbatch);
        ArgumentNullException.ThrowIfNull(loss);
        if (Count == 1)
        {
            Backpropagate(loss);
            _loss = loss;
            return;
        }
        Tensor scaled = loss * ((double)microbatch.Size / WholeBatch.Size);
        Backpropagate(scaled);
        Tensor part = scaled.detach();
        _loss = _loss is null ? part : _loss + part;
    }

    // With float16 mixed precision the loss is multiplied by the scaler's scale first; the logged loss is not.
    private void Backpropagate(Tensor loss)
    {
        if (_scaler is { Enabled: true } scaler)
        {
            using Tensor scaled = scaler.ScaleLoss(loss);
            scaled.backward();
        }
        else
        {
            loss.backward();
        }
    }
}
