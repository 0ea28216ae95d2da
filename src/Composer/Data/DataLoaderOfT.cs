using System.Collections;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Data;

/// <summary>
/// Batches an <see cref="IDataset{TSample}"/>, like <c>torch.utils.data.DataLoader</c>: the sampler's order, the
/// samples read by position, and a collate function that turns a list of samples into a <see cref="Batch"/>
/// (<see cref="Collate.Stack"/> by default, <see cref="PaddingCollator"/> for sequences of different lengths).
/// With <c>prefetch</c> the next batches are read and collated on worker threads while the current one trains.
/// </summary>
/// <typeparam name="TSample">One sample.</typeparam>
public sealed class DataLoader<TSample> : DataLoader
{
    private readonly Func<IReadOnlyList<TSample>, Batch> _collate;

    /// <summary>Creates a loader over <paramref name="dataset"/>.</summary>
    /// <param name="dataset">The samples, by position.</param>
    /// <param name="batchSize">Samples per batch; at least 1.</param>
    /// <param name="collate">
    /// Makes a batch of a list of samples; every tensor of the batch needs one row per sample. When omitted, samples
    /// that are named tensors are stacked (<see cref="Collate.Stack"/>).
    /// </param>
    /// <param name="shuffle">Whether each epoch visits the samples in a new random order.</param>
    /// <param name="dropLast">Whether to drop a last batch smaller than <paramref name="batchSize"/>.</param>
    /// <param name="seed">The seed of the shuffle order; the Trainer's seed when omitted.</param>
    /// <param name="prefetch">
    /// How many batches to read ahead on worker threads (PyTorch's <c>num_workers</c> × <c>prefetch_factor</c>); 0 reads
    /// each batch on the training thread when it is asked for.
    /// </param>
    /// <exception cref="ArgumentException">No collate was given and the samples are not named tensors.</exception>
    public DataLoader(IDataset<TSample> dataset, int batchSize, Func<IReadOnlyList<TSample>, Batch>? collate = null,
        bool shuffle = false, bool dropLast = false, long? seed = null, int prefetch = 0)
        : base((dataset ?? throw new ArgumentNullException(nameof(dataset))).Count, batchSize, shuffle, dropLast, seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefetch);
        Samples = dataset;
        Prefetch = prefetch;
        _collate = collate ?? DefaultCollate();
    }

    /// <summary>The samples.</summary>
    public IDataset<TSample> Samples { get; }

    /// <summary>How many batches are read ahead on worker threads.</summary>
    public int Prefetch { get; }

    /// <inheritdoc/>
    internal override IEnumerator<Batch> GetEnumerator(long skip) => new Enumerator(this, skip);

    private static Func<IReadOnlyList<TSample>, Batch> DefaultCollate()
    {
        if (!typeof(IReadOnlyDictionary<string, Tensor>).IsAssignableFrom(typeof(TSample)))
            throw new ArgumentException(
                $"Samples of type {typeof(TSample).Name} need a collate function: pass collate: samples => new Batch(...), " +
                "or make each sample named tensors (a Dictionary<string, Tensor> or a Batch) to have them stacked.", "collate");
        return samples => Collate.Stack(samples.Cast<IReadOnlyDictionary<string, Tensor>>().ToList());
    }

    /// <summary>Reads and collates the samples at <paramref name="indices"/>, and checks that every tensor has a row per sample.</summary>
    private Batch Build(long[] indices)
    {
        var samples = new TSample[indices.Length];
        for (int i = 0; i < indices.Length; i++)
            samples[i] = Samples[(int)indices[i]];
        Batch batch;
        try
        {
            batch = _collate(samples)
                ?? throw new InvalidOperationException("The collate function returned null; it must return a Batch.");
        }
        catch (InvalidSampleException e) when (!e.IsDatasetIndex && e.SampleIndex >= 0 && e.SampleIndex < indices.Length)
        {
            // The collate function knows the sample's place in the batch; the loader knows which sample that is.
            throw new InvalidSampleException(indices[e.SampleIndex], e.Problem, inDataset: true, e);
        }
        batch.RequireEqualRows(indices.Length, $"The collate function's batch of {indices.Length} samples");
        return batch;
    }

    /// <summary>Builds a batch on a worker thread: its tensors leave the worker's scope, for the training thread to own.</summary>
    private Batch BuildDetached(long[] indices)
    {
        using var scope = NewDisposeScope();
        Batch batch = Build(indices);
        foreach (Tensor tensor in batch.Values)
            tensor.DetachFromDisposeScope();
        return batch;
    }

    private sealed class Enumerator : IEnumerator<Batch>
    {
        private readonly DataLoader<TSample> _loader;
        private readonly long[]? _order;
        private readonly Queue<Task<Batch>> _ahead = new();
        private long _next;
        private Batch? _current;

        public Enumerator(DataLoader<TSample> loader, long skip)
        {
            _loader = loader;
            _next = Math.Min(skip * loader.BatchSize, loader.ShardLength);
            using Tensor? order = loader.Sampler.Order();
            _order = order?.data<long>().ToArray();
        }

        public Batch Current => _current ?? throw new InvalidOperationException("Call MoveNext before reading Current.");

        object IEnumerator.Current => Current;

        public bool MoveNext()
        {
            if (_loader.Prefetch == 0)
            {
                long[]? indices = TakeIndices();
                _current = indices is null ? null : _loader.Build(indices);
                return _current is not null;
            }
            while (_ahead.Count < _loader.Prefetch && TakeIndices() is { } next)
                _ahead.Enqueue(Task.Run(() => _loader.BuildDetached(next)));
            if (_ahead.Count == 0)
            {
                _current = null;
                return false;
            }
            Batch batch = _ahead.Dequeue().GetAwaiter().GetResult();
            // Owned by the training thread's scope from here (the batch's scope in the Trainer), as if read here.
            if (torch.CurrentDisposeScope is { } scope)
            {
                foreach (Tensor tensor in batch.Values)
                    scope.Attach(tensor);
            }
            _current = batch;
            return true;
        }

        private long[]? TakeIndices()
        {
            long size = _loader.NextBatchSize(_next);
            if (size == 0) return null;
            long[] indices = new long[size];
            for (long i = 0; i < size; i++)
                indices[i] = _order is null ? _next + i : _order[_next + i];
            _next += size;
            return indices;
        }

        public void Reset() => throw new NotSupportedException("Enumerate the loader again for a new pass.");

        public void Dispose()
        {
            // Batches read ahead and never taken are freed here.
            while (_ahead.Count > 0)
            {
                Task<Batch> pending = _ahead.Dequeue();
                try
                {
                    foreach (Tensor tensor in pending.GetAwaiter().GetResult().Values)
                        tensor.Dispose();
                }
                catch (Exception) when (pending.IsFaulted)
                {
                    // A read that failed after the loop stopped asking has nothing to free.
                }
            }
        }
    }
}
