using static TorchSharp.torch;

namespace Composer.Distributed;

/// <summary>One process training alone: rank 0 of 1, where every collective leaves the data as it is.</summary>
public sealed class SingleProcessCommunicator : ICommunicator
{
    /// <summary>The one instance.</summary>
    public static SingleProcessCommunicator Instance { get; } = new();

    private SingleProcessCommunicator()
    {
    }

    /// <inheritdoc/>
    public int Rank => 0;

    /// <inheritdoc/>
    public int WorldSize => 1;

    /// <inheritdoc/>
    public int LocalRank => 0;

    /// <inheritdoc/>
    public string Backend => "single";

    /// <inheritdoc/>
    public TimeSpan TimeInCollectives => TimeSpan.Zero;

    /// <inheritdoc/>
    public void AllReduce(Tensor tensor, ReduceOperation operation = ReduceOperation.Sum) => ArgumentNullException.ThrowIfNull(tensor);

    /// <inheritdoc/>
    public void Broadcast(Tensor tensor, int root = 0) => ArgumentNullException.ThrowIfNull(tensor);

    /// <inheritdoc/>
    public void AllGather(Tensor input, Tensor output)
    {
        using var noGrad = no_grad();
        output.copy_(input.reshape(output.shape));
    }

    /// <inheritdoc/>
    public void ReduceScatter(Tensor input, Tensor output, ReduceOperation operation = ReduceOperation.Sum)
    {
        using var noGrad = no_grad();
        output.copy_(input.reshape(output.shape));
    }

    /// <inheritdoc/>
    public void Barrier()
    {
    }

    /// <inheritdoc/>
    public void Abort(string reason, int errorCode = 1)
    {
        Console.Error.WriteLine($"Aborting: {reason}");
        Environment.Exit(errorCode);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}
