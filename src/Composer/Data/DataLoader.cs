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

    /// <summary>This process's rank when the data is split over ranks; 0 otherwise.</summary>
    public int Rank { get; private set; }

    /// <summary>How many ranks the data is split over; 1 when it is not.</summary>
    public int WorldSize { get; private set; } = 1;

    /// <summary>Whether the ranks' shards are padded to equal length (training) rather than left uneven (evaluation).</summary>
    public bool PadsShards { get; private set; }

    /// <summary>
    /// Splits every epoch's order over <paramref name="worldSize"/> ranks as PyTorch's <c>DistributedSampler</c> does:
    /// the same seed and epoch give every rank the same order, and rank r takes positions r, r + W, r + 2W, ...
    /// With <paramref name="padToEqual"/> the order is first extended from its start to a multiple of W, so every rank
    /// has the same number of batches (needed where ranks synchronise per batch); otherwise shards differ by at most
    /// one sample and each sample is seen once (exact evaluation metrics).
    /// </summary>
    public void Shard(int rank, int worldSize, bool padToEqual)
    {
        if (worldSize < 1 || rank < 0 || rank >= worldSize)
            throw new ArgumentOutOfRangeException(nameof(rank), $"Rank {rank} of {worldSize} is not a rank.");
        Rank = rank;
        WorldSize = worldSize;
        PadsShards = padToEqual;
    }

    /// <summary>The samples this rank visits per epoch.</summary>
    public long ShardLength => WorldSize == 1 ? Dataset.Count
        : PadsShards ? (Dataset.Count + WorldSize - 1) / WorldSize
        : (Dataset.Count - Rank + WorldSize - 1) / WorldSize;

    /// <summary>The number of batches per epoch (on this rank).</summary>
    public long Count => DropLast ? ShardLength / BatchSize : (ShardLength + BatchSize - 1) / BatchSize;

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
        private readonly long _length;
        private long _next;
        private Batch? _current;

        public Enumerator(DataLoader loader, long skip)
        {
            _loader = loader;
            _length = loader.ShardLength;
            _next = Math.Min(skip * loader.BatchSize, _length);
            if (!loader.Shuffle && loader.WorldSize == 1) return;
            // The order outlives any batch scope; the enumerator frees it.
            using var scope = NewDisposeScope();
            long count = loader.Dataset.Count;
            Tensor order;
            if (loader.Shuffle)
            {
                using var generator = new Generator((ulong)(loader.Seed + loader.Epoch));
                order = randperm(count, generator: generator);
            }
            else
            {
                order = arange(count);
            }
            if (loader.WorldSize > 1)
            {
                long total = loader.PadsShards ? _length * loader.WorldSize : count;
                // Padded from the order's start (wrapping if needed), then every W-th position from this rank's.
                Tensor positions = arange(loader.Rank, total, loader.WorldSize).remainder(count);
                order = order.index_select(0, positions);
            }
            _order = order.DetachFromDisposeScope();
        }

        public Batch Current => _current ?? throw new InvalidOperationException("Call MoveNext before reading Current.");

        object IEnumerator.Current => Current;

        public bool MoveNext()
        {
            long size = Math.Min(_loader.BatchSize, _length - _next);
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
