using System.Diagnostics;
using static TorchSharp.torch;

namespace Composer.Distributed;

/// <summary>
/// The processes started by <c>mpirun</c>, talking through Open MPI (as Horovod does): all-reduce, broadcast,
/// all-gather, reduce-scatter and barrier on CPU tensors, in place. Tensors elsewhere go through the host.
/// </summary>
/// <remarks>
/// An exception that would end one rank's process makes it abort every rank with the exception's message, because
/// the other ranks would otherwise wait in their next collective forever.
/// </remarks>
public sealed unsafe class MpiCommunicator : ICommunicator
{
    private readonly MpiLibrary _mpi;
    private readonly Stopwatch _clock = new();
    private bool _finalized;

    private MpiCommunicator(MpiLibrary mpi, int rank, int worldSize, int localRank)
    {
        _mpi = mpi;
        Rank = rank;
        WorldSize = worldSize;
        LocalRank = localRank;
    }

    /// <summary>Initializes MPI for this process (once) and joins the world communicator.</summary>
    /// <exception cref="DllNotFoundException">Open MPI is not installed; the message names the package.</exception>
    public static MpiCommunicator Start()
    {
        MpiLibrary mpi = MpiLibrary.Open();
        int initialized;
        Check(mpi.Initialized(&initialized), "MPI_Initialized");
        if (initialized == 0) Check(mpi.Init(IntPtr.Zero, IntPtr.Zero), "MPI_Init");
        int rank, size;
        Check(mpi.CommRank(mpi.CommWorld, &rank), "MPI_Comm_rank");
        Check(mpi.CommSize(mpi.CommWorld, &size), "MPI_Comm_size");
        int localRank = int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_RANK"), out int local) ? local : 0;
        var communicator = new MpiCommunicator(mpi, rank, size, localRank);
        AppDomain.CurrentDomain.UnhandledException += (_, e) => communicator.Abort(
            $"rank {communicator.Rank} of {communicator.WorldSize} failed: {(e.ExceptionObject as Exception)?.ToString() ?? e.ExceptionObject}");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => communicator.Dispose();
        return communicator;
    }

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int WorldSize { get; }

    /// <inheritdoc/>
    public int LocalRank { get; }

    /// <inheritdoc/>
    public string Backend => "mpi";

    /// <inheritdoc/>
    public TimeSpan TimeInCollectives => _clock.Elapsed;

    /// <inheritdoc/>
    public void AllReduce(Tensor tensor, ReduceOperation operation = ReduceOperation.Sum)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        Collective(tensor, (pointer, count, type) =>
            Check(_mpi.Allreduce(MpiLibrary.InPlace, pointer, count, type, Op(operation), _mpi.CommWorld), "MPI_Allreduce"));
        if (operation == ReduceOperation.Mean) DivideByWorld(tensor);
    }

    /// <inheritdoc/>
    public void Broadcast(Tensor tensor, int root = 0)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        Collective(tensor, (pointer, count, type) => Check(_mpi.Bcast(pointer, count, type, root, _mpi.CommWorld), "MPI_Bcast"));
    }

    /// <inheritdoc/>
    public void AllGather(Tensor input, Tensor output)
    {
        CheckBlocks(input, output);
        using var scope = NewDisposeScope();
        Tensor source = Host(input);
        Collective(output, (pointer, count, type) =>
        {
            fixed (byte* send = source.bytes)
                Check(_mpi.Allgather((IntPtr)send, count / WorldSize, type, pointer, count / WorldSize, type, _mpi.CommWorld), "MPI_Allgather");
        });
    }

    /// <inheritdoc/>
    public void ReduceScatter(Tensor input, Tensor output, ReduceOperation operation = ReduceOperation.Sum)
    {
        CheckBlocks(output, input);
        using var scope = NewDisposeScope();
        Tensor source = Host(input);
        Collective(output, (pointer, count, type) =>
        {
            fixed (byte* send = source.bytes)
                Check(_mpi.ReduceScatterBlock((IntPtr)send, pointer, count, type, Op(operation), _mpi.CommWorld), "MPI_Reduce_scatter_block");
        });
        if (operation == ReduceOperation.Mean) DivideByWorld(output);
    }

    /// <inheritdoc/>
    public void Barrier()
    {
        _clock.Start();
        try
        {
            Check(_mpi.Barrier(_mpi.CommWorld), "MPI_Barrier");
        }
        finally
        {
            _clock.Stop();
        }
    }

    /// <inheritdoc/>
    public void Abort(string reason, int errorCode = 1)
    {
        Console.Error.WriteLine($"Composer.NET: {reason}");
        Console.Error.WriteLine($"Composer.NET: stopping all {WorldSize} ranks (MPI_Abort), since the others would wait for this one forever.");
        Console.Error.Flush();
        _mpi.Abort(_mpi.CommWorld, errorCode);
    }

    /// <summary>Finalizes MPI; called when the process exits.</summary>
    public void Dispose()
    {
        if (_finalized) return;
        _finalized = true;
        int finalized;
        if (_mpi.Finalized(&finalized) == 0 && finalized == 0) _mpi.Finalize();
    }

    // The tensor's data as one contiguous host buffer, written back when it is a copy.
    private void Collective(Tensor tensor, Action<IntPtr, int, IntPtr> call)
    {
        using var scope = NewDisposeScope();
        Tensor host = Host(tensor);
        if (host.NumberOfElements > int.MaxValue)
            throw new ArgumentException($"A collective takes at most {int.MaxValue} elements; split the tensor of {host.NumberOfElements}.", nameof(tensor));
        _clock.Start();
        try
        {
            fixed (byte* pointer = host.bytes)
                call((IntPtr)pointer, (int)host.NumberOfElements, DataType(host.dtype));
        }
        finally
        {
            _clock.Stop();
        }
        if (!ReferenceEquals(host, tensor) && host.Handle != tensor.Handle)
        {
            using var noGrad = no_grad();
            tensor.copy_(host);
        }
    }

    private static Tensor Host(Tensor tensor) =>
        tensor.device_type == TorchSharp.DeviceType.CPU && tensor.is_contiguous() ? tensor : tensor.detach().cpu().contiguous();

    private void CheckBlocks(Tensor block, Tensor whole)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(whole);
        if (whole.NumberOfElements != block.NumberOfElements * WorldSize || whole.dtype != block.dtype)
            throw new ArgumentException(
                $"The whole tensor must hold {WorldSize} blocks of the same type as the block ({block.NumberOfElements} {block.dtype}); it holds {whole.NumberOfElements} {whole.dtype}.");
    }

    private void DivideByWorld(Tensor tensor)
    {
        using var noGrad = no_grad();
        tensor.div_(WorldSize);
    }

    private IntPtr Op(ReduceOperation operation) => operation switch
    {
        ReduceOperation.Sum or ReduceOperation.Mean => _mpi.Sum,
        ReduceOperation.Max => _mpi.Max,
        ReduceOperation.Min => _mpi.Min,
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, null),
    };

    private IntPtr DataType(ScalarType type) => type switch
    {
        ScalarType.Float32 => _mpi.Float,
        ScalarType.Float64 => _mpi.Double,
        ScalarType.Int64 => _mpi.Int64,
        ScalarType.Byte => _mpi.Byte,
        _ => throw new NotSupportedException($"MPI collectives here take float32, float64, int64 or uint8 tensors, not {type}; convert first."),
    };

    private static void Check(int code, string function)
    {
        if (code != 0) throw new InvalidOperationException($"{function} failed with MPI error {code}.");
    }
}
