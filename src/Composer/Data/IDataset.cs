namespace Composer.Data;

/// <summary>
/// Samples by position, like <c>torch.utils.data.Dataset</c> (a map-style dataset): the loader asks for the samples
/// of each batch in the sampler's order, so a sample can be read or decoded when it is asked for.
/// </summary>
/// <typeparam name="TSample">One sample: for the default collate, named tensors (a dictionary or a <see cref="Batch"/>).</typeparam>
public interface IDataset<out TSample>
{
    /// <summary>The number of samples.</summary>
    int Count { get; }

    /// <summary>The sample at <paramref name="index"/>, from 0 to <see cref="Count"/> − 1.</summary>
    TSample this[int index] { get; }
}

/// <summary>Makes datasets from what .NET already has.</summary>
public static class Dataset
{
    /// <summary>A dataset over a list (or an array) of samples.</summary>
    public static IDataset<TSample> From<TSample>(IReadOnlyList<TSample> samples) =>
        new ListDataset<TSample>(samples ?? throw new ArgumentNullException(nameof(samples)));

    /// <summary>A dataset of <paramref name="count"/> samples that <paramref name="read"/> makes from their index when asked.</summary>
    public static IDataset<TSample> From<TSample>(int count, Func<int, TSample> read)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentNullException.ThrowIfNull(read);
        return new FuncDataset<TSample>(count, read);
    }

    private sealed class ListDataset<TSample>(IReadOnlyList<TSample> samples) : IDataset<TSample>
    {
        public int Count => samples.Count;
        public TSample this[int index] => samples[index];
    }

    private sealed class FuncDataset<TSample>(int count, Func<int, TSample> read) : IDataset<TSample>
    {
        public int Count => count;
        public TSample this[int index] => (uint)index < (uint)count
            ? read(index)
            : throw new ArgumentOutOfRangeException(nameof(index), index, $"The dataset has {count} samples.");
    }
}
