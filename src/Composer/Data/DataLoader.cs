using System.Collections;
using static TorchSharp.torch;

namespace Composer.Data;

/// <summary>
/// Batches a dataset in the order of its <see cref="Data.Sampler"/>. This class slices a <see cref="TensorDataset"/>
/// (the fast path for data that fits in tensors); <see cref="DataLoader{TSample}"/> reads any
/// <see cref="IDataset{TSample}"/> and collates its samples, optionally on worker threads.
/// </summary>
/// <remarks>
/// Batch tensors are created when the enumerator moves, so inside the Trainer they belong to the batch's
/// dispose scope and are freed with it.
/// </remarks>
public class DataLoader : IEnumerable<Batch>
{
    private readonly TensorDataset? _tensors;

    /// <summary>Creates a loader over <paramref name="dataset"/>.</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="batchSize">Samples per batch; at least 1.</param>
    /// <param name="shuffle">Whether each epoch visits the samples in a new random order.</param>
    /// <param name="dropLast">Whether to drop a last batch smaller than <paramref name="batchSize"/>.</param>
    /// <param name="seed">The seed of the shuffle order; the Trainer's seed when omitted, so one seed fixes the data order too.</param>
    public DataLoader(TensorDataset dataset, int batchSize, bool shuffle = false, bool dropLast = false, long? seed = null)
        : this((dataset ?? throw new ArgumentNullException(nameof(dataset))).Count, batchSize, shuffle, dropLast, seed)
    {
        _tensors = dataset;
    }

    /// <summary>Checks the arguments shared by every loader.</summary>
    private protected DataLoader(long count, int batchSize, bool shuffle, bool dropLast, long? seed)
    {
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be at least 1.");
        if (count == 0)
            throw new ArgumentException("The dataset is empty; a dataloader needs at least one sample.", "dataset");
        if (dropLast && count < batchSize)
            throw new ArgumentException(
                $"With dropLast the dataset of {count} samples yields no batch of {batchSize}; lower the batch size or set dropLast: false.",
                nameof(dropLast));
        Sampler = new Sampler(count, shuffle, seed);
        BatchSize = batchSize;
        DropLast = dropLast;
    }

    /// <summary>The tensors this loader slices.</summary>
    /// <exception cref="InvalidOperationException">The loader reads an <see cref="IDataset{TSample}"/> instead.</exception>
    public TensorDataset Dataset => _tensors
        ?? throw new InvalidOperationException("This loader reads an IDataset, not a TensorDataset; use DataLoader<TSample>.Samples.");

    /// <summary>The order of the samples: seed, epoch, shuffle and shard.</summary>
    public Sampler Sampler { get; }

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }
    /// <summary>Whether each epoch visits the samples in a new random order.</summary>
    public bool Shuffle => Sampler.Shuffle;
    /// <summary>Whether a last, smaller batch is dropped.</summary>
    public bool DropLast { get; }
    /// <summary>The seed of the shuffle order.</summary>
    public long Seed => Sampler.Seed;
    /// <summary>The epoch whose order the next enumeration uses.</summary>
    public long Epoch => Sampler.Epoch;
    /// <summary>This process's rank when the data is split over ranks; 0 otherwise.</summary>
    public int Rank => Sampler.Rank;
    /// <summary>How many ranks the data is split over; 1 when it is not.</summary>
    public int WorldSize => Sampler.WorldSize;
    /// <summary>Whether the ranks' shards are padded to equal length (training) rather than left uneven (evaluation).</summary>
    public bool PadsShards => Sampler.PadsShards;

    /// <summary>Takes the Trainer's seed when none was given here.</summary>
    internal void UseSeedIfUnset(long seed) => Sampler.UseSeedIfUnset(seed);

    /// <summary>Takes the seed of a resumed run, so it sees the saved run's data order.</summary>
    internal void RestoreSeed(long seed) => Sampler.RestoreSeed(seed);

    /// <inheritdoc cref="Sampler.Shard"/>
    public void Shard(int rank, int worldSize, bool padToEqual) => Sampler.Shard(rank, worldSize, padToEqual);

    /// <summary>The samples this rank visits per epoch.</summary>
    public long ShardLength => Sampler.Length;

    /// <summary>The number of batches per epoch (on this rank).</summary>
    public long Count => DropLast ? ShardLength / BatchSize : (ShardLength + BatchSize - 1) / BatchSize;

    /// <summary>Chooses the epoch whose shuffle order the next enumeration uses.</summary>
    public void SetEpoch(long epoch) => Sampler.SetEpoch(epoch);

    /// <summary>Enumerates the batches of the current epoch.</summary>
    public IEnumerator<Batch> GetEnumerator() => GetEnumerator(0);

    /// <summary>Enumerates the batches of the current epoch after the first <paramref name="skip"/>, without building those.</summary>
    internal virtual IEnumerator<Batch> GetEnumerator(long skip) => new TensorEnumerator(this, skip);

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The size of the batch that starts at position <paramref name="next"/> of the epoch; 0 when there is none.</summary>
    private protected long NextBatchSize(long next)
    {
        long size = Math.Min(BatchSize, ShardLength - next);
        return size <= 0 || (DropLast && size < BatchSize) ? 0 : size;
    }

    private sealed class TensorEnumerator : IEnumerator<Batch>
    {
        private readonly DataLoader _loader;
        private readonly TensorDataset _data;
        private readonly Tensor? _order;
        private long _next;
        private Batch? _current;

        public TensorEnumerator(DataLoader loader, long skip)
        {
            _loader = loader;
            _data = loader.Dataset;
            _next = Math.Min(skip * loader.BatchSize, loader.ShardLength);
            // The order outlives any batch scope; the enumerator frees it.
            _order = loader.Sampler.Order();
        }

        public Batch Current => _current ?? throw new InvalidOperationException("Call MoveNext before reading Current.");

        object IEnumerator.Current => Current;

        public bool MoveNext()
        {
            long size = _loader.NextBatchSize(_next);
            if (size == 0)
            {
                _current = null;
                return false;
            }
            if (_order is null)
            {
                _current = new Batch(_data.Inputs.narrow(0, _next, size), _data.Targets.narrow(0, _next, size));
            }
            else
            {
                using Tensor indices = _order.narrow(0, _next, size);
                _current = new Batch(_data.Inputs.index_select(0, indices), _data.Targets.index_select(0, indices));
            }
            _next += size;
            return true;
        }

        public void Reset() => _next = 0;

        public void Dispose() => _order?.Dispose();
    }
}
