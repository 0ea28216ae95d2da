using static TorchSharp.torch;

namespace Composer.Data;

/// <summary>Collate functions: they make a <see cref="Batch"/> of a list of samples (PyTorch's <c>default_collate</c>).</summary>
public static class Collate
{
    /// <summary>
    /// Stacks each named tensor of the samples along a new first dimension: samples of shape [...] make a batch of
    /// [N, ...]. A sample that is a <see cref="Batch"/> passes on its inputs and targets keys; otherwise they are
    /// <see cref="Batch.InputIds"/> and <see cref="Batch.Labels"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No samples, or samples with different keys or shapes under one key.</exception>
    public static Batch Stack(IReadOnlyList<IReadOnlyDictionary<string, Tensor>> samples)
    {
        string[] keys = RequireSameKeys(samples);
        var tensors = new KeyValuePair<string, Tensor>[keys.Length];
        for (int k = 0; k < keys.Length; k++)
        {
            Tensor[] column = Column(samples, keys[k]);
            RequireSameShape(column, keys[k], "stack");
            tensors[k] = new(keys[k], stack(column));
        }
        return samples[0] is Batch first
            ? new Batch(tensors, first.InputsKey, first.TargetsKey)
            : new Batch(tensors);
    }

    /// <summary>The keys of the first sample, after checking that every sample has exactly those.</summary>
    internal static string[] RequireSameKeys(IReadOnlyList<IReadOnlyDictionary<string, Tensor>> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0) throw new ArgumentException("There are no samples to collate.", nameof(samples));
        string[] keys = samples[0].Keys.ToArray();
        for (int i = 1; i < samples.Count; i++)
        {
            if (samples[i].Count != keys.Length || !keys.All(samples[i].ContainsKey))
                throw new ArgumentException(
                    $"Sample {i} has the keys {string.Join(", ", samples[i].Keys)} where sample 0 has {string.Join(", ", keys)}; every sample needs the same keys.",
                    nameof(samples));
        }
        return keys;
    }

    /// <summary>The tensor under <paramref name="key"/> of every sample.</summary>
    internal static Tensor[] Column(IReadOnlyList<IReadOnlyDictionary<string, Tensor>> samples, string key)
    {
        var column = new Tensor[samples.Count];
        for (int i = 0; i < column.Length; i++)
            column[i] = samples[i][key];
        return column;
    }

    private static void RequireSameShape(Tensor[] column, string key, string verb)
    {
        long[] shape = column[0].shape;
        for (int i = 1; i < column.Length; i++)
        {
            if (!column[i].shape.AsSpan().SequenceEqual(shape))
                throw new ArgumentException(
                    $"Cannot {verb} '{key}': sample 0 has shape [{string.Join(", ", shape)}] and sample {i} [{string.Join(", ", column[i].shape)}]. " +
                    "Sequences of different lengths need a PaddingCollator.");
        }
    }
}
