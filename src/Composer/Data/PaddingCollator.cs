using static TorchSharp.torch;

namespace Composer.Data;

/// <summary>
/// Collates samples whose sequences differ in length, like Hugging Face's <c>DataCollatorWithPadding</c>: every
/// one-dimensional tensor (a sequence) is padded on the right to the longest in the batch, rounded up to
/// <see cref="PadToMultipleOf"/>; scalars (a label per sample) are stacked. When the samples have no
/// <see cref="Batch.AttentionMask"/>, one is added: 1 over each sample's real tokens, 0 over its padding.
/// </summary>
/// <remarks>
/// Padding values: <see cref="PadTokenId"/> for <see cref="Batch.InputIds"/>, 0 for the attention mask,
/// <see cref="LabelPadValue"/> for sequence labels (ignored by the loss, as Hugging Face's −100), 0 for any other
/// sequence, unless <see cref="PadValues"/> names one.
/// </remarks>
public sealed class PaddingCollator
{
    /// <summary>The id that pads <see cref="Batch.InputIds"/>.</summary>
    public long PadTokenId { get; init; }

    /// <summary>Pad sequences to a multiple of this length (tensor cores like multiples of 8); null for the longest.</summary>
    public int? PadToMultipleOf { get; init; }

    /// <summary>The value that pads sequence labels (<see cref="Batch.Labels"/> of one label per token).</summary>
    public long LabelPadValue { get; init; } = -100;

    /// <summary>Padding values for other keys.</summary>
    public IReadOnlyDictionary<string, double> PadValues { get; init; } = new Dictionary<string, double>();

    /// <summary>The key of the batch's inputs.</summary>
    public string InputsKey { get; init; } = Batch.InputIds;

    /// <summary>The key of the batch's targets.</summary>
    public string TargetsKey { get; init; } = Batch.Labels;

    /// <summary>
    /// The keys whose sequences run along the same tokens, so within a sample they must be equally long: by default
    /// Hugging Face's <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c>, <c>position_ids</c>,
    /// <c>special_tokens_mask</c>, token-level <c>labels</c>, and <see cref="InputsKey"/> and <see cref="TargetsKey"/>.
    /// A key listed here that is a scalar in the samples (one label per sample) is not a sequence and is left out.
    /// </summary>
    public IReadOnlyCollection<string>? SequenceKeys { get; init; }

    private static readonly string[] DefaultSequenceKeys =
        [Batch.InputIds, Batch.AttentionMask, "token_type_ids", "position_ids", "special_tokens_mask", Batch.Labels];

    /// <summary>Pads and stacks <paramref name="samples"/> into one batch.</summary>
    /// <exception cref="ArgumentException">No samples, samples with different keys, or a key that is a sequence in one sample and not in another.</exception>
    /// <exception cref="InvalidSampleException">A sample whose <see cref="SequenceKeys"/> differ in length.</exception>
    public Batch Collate(IReadOnlyList<IReadOnlyDictionary<string, Tensor>> samples)
    {
        string[] keys = Data.Collate.RequireSameKeys(samples);
        if (PadToMultipleOf is < 1) throw new InvalidOperationException("PadToMultipleOf must be at least 1 (or null).");
        RequireAlignedSequences(samples, keys);
        var tensors = new List<KeyValuePair<string, Tensor>>(keys.Length + 1);
        long length = -1;
        foreach (string key in keys)
        {
            Tensor[] column = Data.Collate.Column(samples, key);
            if (column.All(t => t.dim() == 1))
            {
                length = PaddedLength(column);
                tensors.Add(new(key, Pad(column, length, PadValue(key))));
            }
            else if (column.All(t => t.dim() == 0))
            {
                tensors.Add(new(key, stack(column)));
            }
            else
            {
                throw new ArgumentException(
                    $"'{key}' must be a sequence (one dimension) or a scalar in every sample; its shapes are " +
                    $"{string.Join(", ", column.Select(t => $"[{string.Join(", ", t.shape)}]").Distinct())}.", nameof(samples));
            }
        }
        if (!keys.Contains(Batch.AttentionMask) && keys.Contains(InputsKey) && length >= 0)
        {
            Tensor[] ids = Data.Collate.Column(samples, InputsKey);
            Tensor[] ones = ids.Select(t => ones_like(t, dtype: int64)).ToArray();
            tensors.Add(new(Batch.AttentionMask, Pad(ones, length, 0)));
        }
        return new Batch(tensors, InputsKey, TargetsKey);
    }

    // A mask or a token-label sequence of another length than the ids would be padded into place silently, and train
    // on tokens masked out (or unmasked padding).
    private void RequireAlignedSequences(IReadOnlyList<IReadOnlyDictionary<string, Tensor>> samples, string[] keys)
    {
        IEnumerable<string> declared = SequenceKeys ?? [.. DefaultSequenceKeys, InputsKey, TargetsKey];
        string[] aligned = keys.Where(k => declared.Contains(k)).ToArray();
        if (aligned.Length < 2) return;
        for (int i = 0; i < samples.Count; i++)
        {
            var lengths = aligned.Where(k => samples[i][k].dim() == 1).Select(k => (Key: k, Length: samples[i][k].shape[0])).ToArray();
            if (lengths.Select(l => l.Length).Distinct().Count() > 1)
                throw new InvalidSampleException(i,
                    $"its sequences must be equally long, but {string.Join(", ", lengths.Select(l => $"'{l.Key}' has {l.Length}"))}. " +
                    "Tokenize the ids, the mask, the token types and token labels together, or set PaddingCollator.SequenceKeys to the keys that share the token axis.");
        }
    }

    private long PaddedLength(Tensor[] column)
    {
        long longest = column.Max(t => t.shape[0]);
        return PadToMultipleOf is int multiple ? (longest + multiple - 1) / multiple * multiple : longest;
    }

    private double PadValue(string key) =>
        PadValues.TryGetValue(key, out double value) ? value
        : key == InputsKey ? PadTokenId
        : key == TargetsKey ? LabelPadValue
        : 0;

    private static Tensor Pad(Tensor[] column, long length, double value)
    {
        using var scope = NewDisposeScope();
        Tensor[] padded = column.Select(t => nn.functional.pad(t, [0, length - t.shape[0]], value: value)).ToArray();
        return stack(padded).MoveToOuterDisposeScope();
    }
}
