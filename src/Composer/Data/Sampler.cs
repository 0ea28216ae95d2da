using static TorchSharp.torch;

namespace Composer.Data;

/// <summary>
/// The order in which a loader visits a dataset's samples, epoch by epoch. Shuffling draws a fresh order each epoch
/// from <c>seed + epoch</c>, so the order depends only on the seed and the epoch (as with
/// <c>DistributedSampler.set_epoch</c>) and a resumed run sees the same batches. Sharded, it splits each epoch's
/// order over ranks as PyTorch's <c>DistributedSampler</c> does.
/// </summary>
public sealed class Sampler
{
    private bool _seedGiven;

    /// <summary>Creates the sampler of a dataset of <paramref name="count"/> samples.</summary>
    /// <param name="count">The number of samples.</param>
    /// <param name="shuffle">Whether each epoch visits the samples in a new random order.</param>
    /// <param name="seed">The seed of the order; the Trainer's seed when omitted.</param>
    public Sampler(long count, bool shuffle, long? seed = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Count = count;
        Shuffle = shuffle;
        Seed = seed ?? 0;
        _seedGiven = seed is not null;
    }

    /// <summary>The number of samples in the dataset.</summary>
    public long Count { get; }

    /// <summary>Whether each epoch visits the samples in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>The seed of the shuffle order.</summary>
    public long Seed { get; private set; }

    /// <summary>The epoch whose order the next enumeration uses.</summary>
    public long Epoch { get; private set; }

    /// <summary>This process's rank when the data is split over ranks; 0 otherwise.</summary>
    public int Rank { get; private set; }

    /// <summary>How many ranks the data is split over; 1 when it is not.</summary>
    public int WorldSize { get; private set; } = 1;

    /// <summary>Whether the ranks' shards are padded to equal length (training) rather than left uneven (evaluation).</summary>
    public bool PadsShards { get; private set; }

    /// <summary>The samples this rank visits per epoch.</summary>
    public long Length => WorldSize == 1 ? Count
        : PadsShards ? (Count + WorldSize - 1) / WorldSize
        : (Count - Rank + WorldSize - 1) / WorldSize;

    /// <summary>Chooses the epoch whose order the next enumeration uses.</summary>
    public void SetEpoch(long epoch) => Epoch = epoch;

    /// <summary>
    /// Splits every epoch's order over <paramref name="worldSize"/> ranks: the same seed and epoch give every rank
    /// the same order, and rank r takes positions r, r + W, r + 2W, ... With <paramref name="padToEqual"/> the order is
    /// first extended from its start to a multiple of W, so every rank has the same number of batches (needed where
    /// ranks synchronise per batch); otherwise shards differ by at most one sample and each sample is seen once
    /// (exact evaluation metrics).
    /// </summary>
    public void Shard(int rank, int worldSize, bool padToEqual)
    {
        if (worldSize < 1 || rank < 0 || rank >= worldSize)
            throw new ArgumentOutOfRangeException(nameof(rank), $"Rank {rank} of {worldSize} is not a rank.");
        Rank = rank;
        WorldSize = worldSize;
        PadsShards = padToEqual;
    }

    /// <summary>
    /// This epoch's sample indices for this rank, <see cref="Length"/> of them, outside any dispose scope (the
    /// caller frees it); null when the order is 0, 1, 2, ... (no shuffle, one rank), so loaders can slice instead.
    /// </summary>
    public Tensor? Order()
    {
        if (!Shuffle && WorldSize == 1) return null;
        using var scope = NewDisposeScope();
        Tensor order;
        if (Shuffle)
        {
            using var generator = new Generator((ulong)(Seed + Epoch));
            order = randperm(Count, generator: generator);
        }
        else
        {
            order = arange(Count);
        }
        if (WorldSize > 1)
        {
            long total = PadsShards ? Length * WorldSize : Count;
            // Padded from the order's start (wrapping if needed), then every W-th position from this rank's.
            Tensor positions = arange(Rank, total, WorldSize).remainder(Count);
            order = order.index_select(0, positions);
        }
        return order.DetachFromDisposeScope();
    }

    /// <summary>Takes the Trainer's seed when none was given.</summary>
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
}
