using System.Collections;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Data;

/// <summary>
/// Batches a <see cref="TensorDataset"/>. Shuffling draws a fresh order each epoch from
/// <c>seed + epoch</c>, so the data order depends only on the seed and the epoch (as with
/// <c>DistributedSampler.set_epoch</c>) and a resumed run sees the same batches.
/// </summary>
/// <remarks>
/// Batch tensors are created when the enumerator moves, so inside the Trainer they belong to the batch's
/// dispose scope and are freed with it.
/// </remarks>
public sealed class DataLoader : IEnumerable<Batch>
{
    /// <summary>Creates a loader over <paramref name="dataset"/>.</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="batchSize">Samples per batch; at least 1.</param>
    /// <param name="shuffle">Whether each epoch visits the samples in a new random order.</param>
    /// <param name="dropLast">Whether to drop a last batch smaller than <paramref name="batchSize"/>.</param>
    /// <param name="seed">The seed of the shuffle order; the Trainer's seed when omitted, so one seed fixes the data order too.</param>
    public DataLoader(TensorDataset dataset, int batchSize, bool shuffle = false, bool dropLast = false, long? seed = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be at least 1.");
        if (dataset.Count == 0)
            throw new ArgumentException("The dataset is empty; a dataloader needs at least one sample.", nameof(dataset));
        if (dropLast && dataset.Count < batchSize)
            throw new ArgumentException(
                $"With dropLast the dataset of {dataset.Count} samples yields no batch of {batchSize}; lower the batch size or set dropLast: false.",
                nameof(dropLast));
        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        Seed = seed ?? 0;
        _seedGiven = seed is not null;
    }

    /// <summary>The samples.</summary>
    public TensorDataset Dataset { get; }
    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }
    /// <summary>Whether each epoch visits the samples in a new random order.</summary>
    public bool Shuffle { get; }
    /// <summary>Whether a last, smaller batch is dropped.</summary>
    public bool DropLast { get; }
    private bool _seedGiven;

    /// <summary>The seed of the shuffle order.</summary>
    public long Seed { get; private set; }

    /// <summary>Takes the Trainer's seed when none was given here.</summary>
    internal void UseSeedIfUnset(long seed)
    {
        if (_seedGiven) return;
        Seed = seed;
        _seedGiven = true;
    }
    /// <summary>Takes the seed of a resumed run, so it sees the saved run's data order.</summary>
    internal void RestoreSeed(long seed)
    {
        Seed = seed;
        _seedGiven = true;
    }

    /// <summary>The epoch whose order the next enumeration uses.</summary>
    public long Epoch { get; private set; }

    /// <summary>The number of batches per epoch.</summary>
    public long Count => DropLast ? Dataset.Count / BatchSize : (Dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>Chooses the epoch whose shuffle order the next enumeration uses.</summary>
    public void SetEpoch(long epoch) => Epoch = epoch;

    /// <summary>Enumerates the batches of the current epoch.</summary>
    public IEnumerator<Batch> GetEnumerator() => new Enumerator(this, 0);

    /// <summary>Enumerates the batches of the current epoch after the first <paramref name="skip"/>, without building those.</summary>
    internal IEnumerator<Batch> GetEnumerator(long skip) => new Enumerator(this, skip);

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private sealed class Enumerator : IEnumerator<Batch>
    {
        private readonly DataLoader _loader;
        private readonly Tensor? _order;
        private long _next;
        private Batch? _current;

        public Enumerator(DataLoader loader, long skip)
        {
            _loader = loader;
            _next = Math.Min(skip * loader.BatchSize, loader.Dataset.Count);
            if (loader.Shuffle)
            {
                using var generator = new Generator((ulong)(loader.Seed + loader.Epoch));
                // The order outlives any batch scope; the enumerator frees it.
                _order = randperm(loader.Dataset.Count, generator: generator).DetachFromDisposeScope();
            }
        }

        public Batch Current => _current ?? throw new InvalidOperationException("Call MoveNext before reading Current.");

        object IEnumerator.Current => Current;

        public bool MoveNext()
        {
            long count = _loader.Dataset.Count;
            long size = Math.Min(_loader.BatchSize, count - _next);
            if (size <= 0 || (_loader.DropLast && size < _loader.BatchSize))
            {
                _current = null;
                return false;
            }

            TensorDataset data = _loader.Dataset;
            if (_order is null)
            {
                _current = new Batch(data.Inputs.narrow(0, _next, size), data.Targets.narrow(0, _next, size));
            }
            else
            {
                using Tensor indices = _order.narrow(0, _next, size);
                _current = new Batch(data.Inputs.index_select(0, indices), data.Targets.index_select(0, indices));
            }
            _next += size;
            return true;
        }

        public void Reset() => _next = 0;

        public void Dispose() => _order?.Dispose();
    }
}
