using System.Collections;
using System.Diagnostics.CodeAnalysis;
using Composer.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Data;

/// <summary>
/// One batch: named tensors whose first dimension counts samples, like Composer's dict batches
/// (<c>{"input_ids": ..., "attention_mask": ..., "labels": ...}</c>), with <see cref="Inputs"/> and
/// <see cref="Targets"/> naming the two the model and the loss read most. <c>new Batch(inputs, targets)</c> is the
/// (inputs, targets) pair under the keys <c>inputs</c> and <c>targets</c>. Algorithms replace tensors with
/// <c>state.Batch = state.Batch with { Targets = ... }</c> or <see cref="With(string, Tensor)"/>; the batch they
/// replace is left unchanged.
/// </summary>
public sealed record Batch : IReadOnlyDictionary<string, Tensor>
{
    /// <summary>The key of <see cref="Inputs"/> in a batch made from an (inputs, targets) pair.</summary>
    public const string InputsName = "inputs";
    /// <summary>The key of <see cref="Targets"/> in a batch made from an (inputs, targets) pair.</summary>
    public const string TargetsName = "targets";
    /// <summary>The key of the token ids in a text batch (Hugging Face's name).</summary>
    public const string InputIds = "input_ids";
    /// <summary>The key of the mask of real (1) and padding (0) tokens in a text batch.</summary>
    public const string AttentionMask = "attention_mask";
    /// <summary>The key of the targets in a text batch (Hugging Face's name).</summary>
    public const string Labels = "labels";

    private static readonly string[] PairKeys = [InputsName, TargetsName];

    // Two small arrays rather than a dictionary: batches hold a handful of tensors, are built every step, and keep
    // the order they were given in. The keys array is never written, so copies share it until a key is added.
    private string[] _keys;
    private Tensor[] _values;

    /// <summary>The (inputs, targets) pair, under the keys <see cref="InputsName"/> and <see cref="TargetsName"/>.</summary>
    /// <param name="inputs">The model inputs; the first dimension counts samples.</param>
    /// <param name="targets">The targets: class indices, or one row of class probabilities per sample.</param>
    public Batch(Tensor inputs, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        _keys = PairKeys;
        _values = [inputs, targets];
        InputsKey = InputsName;
        TargetsKey = TargetsName;
    }

    /// <summary>
    /// Named tensors, each with one row per sample. <paramref name="inputsKey"/> and <paramref name="targetsKey"/>
    /// say which of them <see cref="Inputs"/> and <see cref="Targets"/> are; they need not be present (a batch
    /// without targets has no <see cref="Targets"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The batch is empty, or its tensors do not all have the same number of rows.</exception>
    public Batch(IEnumerable<KeyValuePair<string, Tensor>> tensors, string inputsKey = InputIds, string targetsKey = Labels)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentException.ThrowIfNullOrEmpty(inputsKey);
        ArgumentException.ThrowIfNullOrEmpty(targetsKey);
        KeyValuePair<string, Tensor>[] pairs = tensors.ToArray();
        if (pairs.Length == 0)
            throw new ArgumentException("A batch needs at least one tensor.", nameof(tensors));
        if (pairs.Select(p => p.Key).Distinct(StringComparer.Ordinal).Count() != pairs.Length)
            throw new ArgumentException("Every tensor of a batch needs its own key.", nameof(tensors));
        _keys = pairs.Select(p => p.Key).ToArray();
        _values = pairs.Select(p => p.Value ?? throw new ArgumentNullException(nameof(tensors), $"The tensor '{p.Key}' is null.")).ToArray();
        InputsKey = inputsKey;
        TargetsKey = targetsKey;
        RequireEqualRows(_values[0].dim() == 0 ? 0 : _values[0].size(0), "The batch");
    }

    // The copy that `with` makes: its own values array, so replacing a tensor there leaves this batch as it was.
    private Batch(Batch original)
    {
        _keys = original._keys;
        _values = (Tensor[])original._values.Clone();
        InputsKey = original.InputsKey;
        TargetsKey = original.TargetsKey;
    }

    /// <summary>The key of <see cref="Inputs"/>.</summary>
    public string InputsKey { get; init; }

    /// <summary>The key of <see cref="Targets"/>.</summary>
    public string TargetsKey { get; init; }

    /// <summary>The model inputs: the tensor under <see cref="InputsKey"/>.</summary>
    /// <exception cref="KeyNotFoundException">The batch has no tensor under <see cref="InputsKey"/>.</exception>
    public Tensor Inputs
    {
        get => this[InputsKey];
        init => Put(InputsKey, value);
    }

    /// <summary>The targets: the tensor under <see cref="TargetsKey"/>.</summary>
    /// <exception cref="KeyNotFoundException">The batch has no tensor under <see cref="TargetsKey"/>.</exception>
    public Tensor Targets
    {
        get => this[TargetsKey];
        init => Put(TargetsKey, value);
    }

    /// <summary>
    /// The number of samples (Composer's <c>get_num_samples_in_batch</c>): the first dimension of
    /// <see cref="Inputs"/>, or of the first tensor when there is no input key.
    /// </summary>
    public long Size => (IndexOf(InputsKey) is int i and >= 0 ? _values[i] : _values[0]).size(0);

    /// <summary>
    /// The number of tokens, for <c>tok</c> durations: the real (non-padding) tokens counted from
    /// <see cref="AttentionMask"/> when the batch has one, else every element of <see cref="InputIds"/>, else 0
    /// (a batch of images has no tokens). Composer's default counts padding too; counting real tokens makes a
    /// <c>tok</c> budget mean the same whatever the padding.
    /// </summary>
    public long TokenCount
    {
        get
        {
            if (TryGetValue(AttentionMask, out Tensor? mask))
            {
                using Tensor sum = mask.sum();
                return sum.ToInt64();
            }
            return TryGetValue(InputIds, out Tensor? ids) ? ids.numel() : 0;
        }
    }

    /// <summary>The tensor under <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that key; the message lists those that do.</exception>
    public Tensor this[string key] => IndexOf(key) is int i and >= 0
        ? _values[i]
        : throw new KeyNotFoundException(
            $"The batch has no tensor '{key}'; it has {string.Join(", ", _keys.Select(k => $"'{k}'"))}. " +
            "Name one of those (for Inputs and Targets: InputsKey and TargetsKey), or add it in the dataset or the collate function.");

    /// <summary>The tensor under <paramref name="key"/>, with a message that names <paramref name="user"/> when it is missing.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that key.</exception>
    public Tensor Require(string key, string user) => IndexOf(key) is int i and >= 0
        ? _values[i]
        : throw new KeyNotFoundException(
            $"{user} reads the batch's tensor '{key}', but the batch has only {string.Join(", ", _keys.Select(k => $"'{k}'"))}. " +
            $"Set {user}'s key to one of those, or add '{key}' in the dataset or the collate function.");

    /// <summary>This batch with <paramref name="value"/> under <paramref name="key"/> (replaced, or added at the end).</summary>
    public Batch With(string key, Tensor value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        var copy = new Batch(this);
        copy.Put(key, value);
        return copy;
    }

    /// <summary>This batch with every tensor replaced by <paramref name="map"/> of it (same keys, same order).</summary>
    public Batch Map(Func<string, Tensor, Tensor> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var copy = new Batch(this);
        for (int i = 0; i < _values.Length; i++)
            copy._values[i] = map(_keys[i], _values[i]);
        return copy;
    }

    /// <summary>
    /// Rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="length"/> of every tensor, as views
    /// (Composer's <c>_split_mapping</c> for one chunk).
    /// </summary>
    public Batch Narrow(long start, long length) => Map((_, t) => t.narrow(0, start, length));

    /// <summary>The rows at <paramref name="indices"/> of every tensor.</summary>
    public Batch Select(Tensor indices) => Map((_, t) => t.index_select(0, indices));

    /// <summary>The batch on <paramref name="device"/>; the same batch when it is there already.</summary>
    public Batch To(Device device)
    {
        foreach (Tensor value in _values)
        {
            if (!value.IsOn(device)) return Map((_, t) => t.to(device));
        }
        return this;
    }

    /// <summary>Throws when a tensor's first dimension is not <paramref name="rows"/>; <paramref name="what"/> starts the message.</summary>
    internal void RequireEqualRows(long rows, string what)
    {
        for (int i = 0; i < _values.Length; i++)
        {
            long n = _values[i].dim() == 0 ? -1 : _values[i].size(0);
            if (n != rows)
                throw new InvalidOperationException(
                    $"{what} has {(n < 0 ? "a scalar" : $"{n} rows")} under '{_keys[i]}' where the other tensors have {rows}; " +
                    "every tensor of a batch needs one row per sample (stack scalars, pad sequences).");
        }
    }

    /// <summary>The keys, in order.</summary>
    public IEnumerable<string> Keys => _keys;

    /// <summary>The tensors, in the order of <see cref="Keys"/>.</summary>
    public IEnumerable<Tensor> Values => _values;

    /// <summary>How many tensors the batch holds.</summary>
    public int Count => _values.Length;

    /// <summary>Whether the batch has a tensor under <paramref name="key"/>.</summary>
    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    /// <summary>The tensor under <paramref name="key"/>, if there is one.</summary>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out Tensor value)
    {
        int i = IndexOf(key);
        value = i >= 0 ? _values[i] : null;
        return i >= 0;
    }

    /// <summary>The named tensors, in order.</summary>
    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator()
    {
        for (int i = 0; i < _values.Length; i++)
            yield return new KeyValuePair<string, Tensor>(_keys[i], _values[i]);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Two batches are equal when they hold the same tensor objects under the same keys.</summary>
    public bool Equals(Batch? other) =>
        other is not null && InputsKey == other.InputsKey && TargetsKey == other.TargetsKey
        && _keys.AsSpan().SequenceEqual(other._keys) && _values.AsSpan().SequenceEqual(other._values);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_values.Length, _values[0], InputsKey);

    /// <summary>The keys and shapes: <c>Batch { input_ids [32, 128], labels [32] }</c>.</summary>
    public override string ToString() =>
        $"Batch {{ {string.Join(", ", _keys.Select((k, i) => $"{k} [{string.Join(", ", _values[i].shape)}]"))} }}";

    private int IndexOf(string key)
    {
        for (int i = 0; i < _keys.Length; i++)
        {
            if (string.Equals(_keys[i], key, StringComparison.Ordinal)) return i;
        }
        return -1;
    }

    private void Put(string key, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int i = IndexOf(key);
        if (i >= 0)
        {
            _values[i] = value;
            return;
        }
        _keys = [.. _keys, key];
        _values = [.. _values, value];
    }
}
