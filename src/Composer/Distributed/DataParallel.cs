using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Distributed;

/// <summary>
/// Data parallelism over a communicator, as PyTorch's DistributedDataParallel does it: the same weights on every
/// rank (broadcast from rank 0 before training), each rank a different shard of the data, and the gradients
/// averaged once per batch, after the last microbatch's backward, in flat buckets. With
/// <see cref="ShardsOptimizerState"/> (ZeRO stages 1 and 2, Composer's FSDP <c>SHARD_GRAD_OP</c>), each parameter
/// belongs to one rank: the gradients are reduce-scattered to their owners, each rank's optimizer steps and keeps
/// state for its own parameters only, and the updated parameters are gathered back to every rank.
/// </summary>
/// <remarks>Alone (<see cref="ICommunicator.WorldSize"/> 1) every step does nothing.</remarks>
public sealed class DataParallel
{
    /// <summary>Gradients are averaged in buckets of at most this many bytes (PyTorch's default is 25 MiB).</summary>
    public const long BucketBytes = 25L << 20;

    private readonly nn.Module _model;
    private Parameter[]? _trainable;
    private int[]? _owner;
    private long _blockLength;

    /// <summary>Creates the data parallelism of <paramref name="model"/> over <paramref name="communicator"/>.</summary>
    public DataParallel(ICommunicator communicator, nn.Module model, bool shardOptimizerState = false)
    {
        Communicator = communicator ?? throw new ArgumentNullException(nameof(communicator));
        _model = model ?? throw new ArgumentNullException(nameof(model));
        ShardsOptimizerState = shardOptimizerState;
    }

    /// <summary>The ranks training together.</summary>
    public ICommunicator Communicator { get; }

    /// <summary>True when more than one process trains.</summary>
    public bool IsDistributed => Communicator.WorldSize > 1;

    /// <summary>True when each rank keeps and steps the optimizer state of its own parameters only.</summary>
    public bool ShardsOptimizerState { get; }

    /// <summary>Copies rank 0's parameters and buffers to every rank, so all start from the same model.</summary>
    public void BroadcastWeights()
    {
        if (!IsDistributed) return;
        using var noGrad = no_grad();
        foreach (Tensor parameter in _model.parameters())
            Communicator.Broadcast(parameter);
        foreach (Tensor buffer in _model.buffers())
            Communicator.Broadcast(buffer);
    }

    /// <summary>
    /// After the last microbatch's backward: every rank's gradients become the mean over ranks (or, sharded, each
    /// rank receives the mean of its own parameters' gradients and drops the others').
    /// </summary>
    public void ReduceGradients()
    {
        if (!IsDistributed) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Parameter[] parameters = Trainable();
        if (ShardsOptimizerState)
        {
            ReduceScatterGradients(parameters);
            return;
        }
        // Buckets of consecutive parameters of one type: one collective each instead of one per parameter.
        var bucket = new List<Parameter>();
        long bytes = 0;
        foreach (Parameter parameter in parameters)
        {
            long size = parameter.NumberOfElements * parameter.ElementSize;
            if (bucket.Count > 0 && (bytes + size > BucketBytes || bucket[0].dtype != parameter.dtype))
            {
                AverageBucket(bucket);
                bucket.Clear();
                bytes = 0;
            }
            bucket.Add(parameter);
            bytes += size;
        }
        if (bucket.Count > 0) AverageBucket(bucket);
    }

    /// <summary>After the optimizer step, sharded: every rank receives the parameters the other ranks updated.</summary>
    public void GatherWeights()
    {
        if (!IsDistributed || !ShardsOptimizerState) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Parameter[] parameters = Trainable();
        Tensor mine = Block(parameters, Communicator.Rank, p => p);
        Tensor all = zeros(Communicator.WorldSize * _blockLength, mine.dtype, mine.device);
        Communicator.AllGather(mine, all);
        for (int rank = 0; rank < Communicator.WorldSize; rank++)
        {
            if (rank == Communicator.Rank) continue;
            long offset = rank * _blockLength;
            foreach (Parameter parameter in Owned(parameters, rank))
            {
                parameter.copy_(all.narrow(0, offset, parameter.NumberOfElements).view(parameter.shape));
                offset += parameter.NumberOfElements;
            }
        }
    }

    /// <summary>The sums of two counts over all ranks in one exchange (a batch's global samples and tokens).</summary>
    public (long First, long Second) Sum(long first, long second)
    {
        if (!IsDistributed) return (first, second);
        using var total = tensor(new[] { first, second });
        Communicator.AllReduce(total);
        long[] sums = total.data<long>().ToArray();
        return (sums[0], sums[1]);
    }

    /// <summary>
    /// The parameters this rank's optimizer steps: all of them, or with <see cref="ShardsOptimizerState"/> over
    /// several ranks the trainable ones this rank owns.
    /// </summary>
    public IEnumerable<Parameter> OptimizedHere()
    {
        if (!IsDistributed || !ShardsOptimizerState) return _model.parameters();
        Parameter[] trainable = Trainable();
        return Owned(trainable, Communicator.Rank).ToArray();
    }

    /// <summary>Which rank owns each trainable parameter when the optimizer state is sharded, in parameter order.</summary>
    public IReadOnlyList<int> Owners
    {
        get
        {
            Trainable();
            return _owner!;
        }
    }

    private void AverageBucket(List<Parameter> bucket)
    {
        // reshape, not view: a channels-last gradient (ChannelsLast) is flattened in logical order, as on every rank.
        Tensor flat = cat(bucket.Select(p => Gradient(p).reshape(-1)).ToList());
        Communicator.AllReduce(flat, ReduceOperation.Mean);
        long offset = 0;
        foreach (Parameter parameter in bucket)
        {
            parameter.grad!.copy_(flat.narrow(0, offset, parameter.NumberOfElements).view(parameter.shape));
            offset += parameter.NumberOfElements;
        }
    }

    private void ReduceScatterGradients(Parameter[] parameters)
    {
        Tensor all = cat(Enumerable.Range(0, Communicator.WorldSize).Select(r => Block(parameters, r, Gradient)).ToList());
        Tensor mine = zeros(_blockLength, all.dtype, all.device);
        Communicator.ReduceScatter(all, mine, ReduceOperation.Mean);
        long offset = 0;
        for (int i = 0; i < parameters.Length; i++)
        {
            Parameter parameter = parameters[i];
            if (_owner![i] != Communicator.Rank)
            {
                // Another rank's: its gradient is freed here (ZeRO stage 2); this rank's optimizer does not hold it.
                parameter.grad = null;
                continue;
            }
            parameter.grad!.copy_(mine.narrow(0, offset, parameter.NumberOfElements).view(parameter.shape));
            offset += parameter.NumberOfElements;
        }
    }

    // The rank's parameters (or their gradients) as one flat tensor, padded to the common block length.
    private Tensor Block(Parameter[] parameters, int rank, Func<Parameter, Tensor> part)
    {
        var pieces = Owned(parameters, rank).Select(p => part(p).reshape(-1)).ToList();
        long length = pieces.Sum(p => p.NumberOfElements);
        if (length < _blockLength) pieces.Add(zeros(_blockLength - length, parameters[0].dtype, parameters[0].device));
        return cat(pieces);
    }

    private IEnumerable<Parameter> Owned(Parameter[] parameters, int rank) =>
        parameters.Where((_, i) => _owner![i] == rank);

    // A parameter with no gradient on this rank (unused by this batch) contributes zeros, so the ranks stay in step.
    private static Tensor Gradient(Parameter parameter)
    {
        if (parameter.grad is null) parameter.grad = zeros_like(parameter).DetachFromDisposeScope();
        return parameter.grad!;
    }

    // The parameters that train, in order; ownership balances their sizes over the ranks the same way on every rank.
    private Parameter[] Trainable()
    {
        if (_trainable is not null) return _trainable;
        _trainable = _model.parameters().Where(p => p.requires_grad).ToArray();
        if (_trainable.Select(p => p.dtype).Distinct().Count() > 1)
            throw new NotSupportedException("Data parallelism here needs every trainable parameter in one dtype; the model mixes several.");
        _owner = new int[_trainable.Length];
        var load = new long[Communicator.WorldSize];
        for (int i = 0; i < _trainable.Length; i++)
        {
            int least = Array.IndexOf(load, load.Min());
            _owner[i] = least;
            load[least] += _trainable[i].NumberOfElements;
        }
        _blockLength = Math.Max(1, load.Max());
        return _trainable;
    }
}
