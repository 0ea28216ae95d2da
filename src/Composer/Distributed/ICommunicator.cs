using static TorchSharp.torch;

namespace Composer.Distributed;

/// <summary>
/// The processes training together and the collectives between them, Composer's <c>composer.utils.dist</c> over an
/// existing engine. Every rank must call the same collectives in the same order with tensors of the same shape.
/// </summary>
/// <remarks>
/// The collectives take tensors and work in place, so an implementation over device memory (NCCL's C API takes
/// CUDA pointers) fits the same interface; <see cref="MpiCommunicator"/> works on CPU tensors and copies others
/// through the host. Blocks are equal in size on every rank, as NCCL requires.
/// </remarks>
public interface ICommunicator : IDisposable
{
    /// <summary>This process's index among all, 0 to <see cref="WorldSize"/> - 1.</summary>
    int Rank { get; }

    /// <summary>How many processes train together.</summary>
    int WorldSize { get; }

    /// <summary>This process's index among those on its machine (which GPU it would use).</summary>
    int LocalRank { get; }

    /// <summary>The engine: <c>"mpi"</c> or <c>"single"</c>.</summary>
    string Backend { get; }

    /// <summary>The time spent in collectives so far (for measuring what communication costs).</summary>
    TimeSpan TimeInCollectives { get; }

    /// <summary>Combines <paramref name="tensor"/> over all ranks, in place: every rank ends with the result.</summary>
    void AllReduce(Tensor tensor, ReduceOperation operation = ReduceOperation.Sum);

    /// <summary>Copies <paramref name="tensor"/> from rank <paramref name="root"/> into every rank's, in place.</summary>
    void Broadcast(Tensor tensor, int root = 0);

    /// <summary>
    /// Concatenates every rank's <paramref name="input"/> in rank order into <paramref name="output"/>, which holds
    /// <see cref="WorldSize"/> times as many elements.
    /// </summary>
    void AllGather(Tensor input, Tensor output);

    /// <summary>
    /// Combines <paramref name="input"/> over all ranks and leaves block <see cref="Rank"/> of the result in
    /// <paramref name="output"/>; <paramref name="input"/> holds <see cref="WorldSize"/> blocks of its size.
    /// </summary>
    void ReduceScatter(Tensor input, Tensor output, ReduceOperation operation = ReduceOperation.Sum);

    /// <summary>Waits until every rank has reached this call.</summary>
    void Barrier();

    /// <summary>
    /// Ends every rank's process: the way out when this rank failed, since the others would otherwise wait in their
    /// next collective forever.
    /// </summary>
    void Abort(string reason, int errorCode = 1);
}
