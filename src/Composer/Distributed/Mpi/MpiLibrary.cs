using System.Runtime.InteropServices;

namespace Composer.Distributed;

/// <summary>
/// Open MPI's C API, bound at run time from <c>libmpi.so.40</c> (Debian's <c>openmpi-bin</c>). Open MPI's handles are
/// pointers to exported objects (<c>MPI_COMM_WORLD</c> is <c>&amp;ompi_mpi_comm_world</c>), so the handles are the
/// addresses of those symbols. The library is opened with <c>RTLD_GLOBAL</c>, as mpi4py does, so that the plugins
/// Open MPI loads itself can see its symbols.
/// </summary>
internal sealed unsafe class MpiLibrary
{
    public const string FileName = "libmpi.so.40";
    private const int RtldNow = 0x002;
    private const int RtldGlobal = 0x100;
    public static readonly IntPtr InPlace = 1;

    private readonly IntPtr _handle;

    private MpiLibrary(IntPtr handle)
    {
        _handle = handle;
        CommWorld = Symbol("ompi_mpi_comm_world");
        Float = Symbol("ompi_mpi_float");
        Double = Symbol("ompi_mpi_double");
        Int64 = Symbol("ompi_mpi_int64_t");
        Byte = Symbol("ompi_mpi_byte");
        Sum = Symbol("ompi_mpi_op_sum");
        Max = Symbol("ompi_mpi_op_max");
        Min = Symbol("ompi_mpi_op_min");
        Init = (delegate* unmanaged<IntPtr, IntPtr, int>)Symbol("MPI_Init");
        Initialized = (delegate* unmanaged<int*, int>)Symbol("MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Symbol("MPI_Finalized");
        Finalize = (delegate* unmanaged<int>)Symbol("MPI_Finalize");
        CommSize = (delegate* unmanaged<IntPtr, int*, int>)Symbol("MPI_Comm_size");
        CommRank = (delegate* unmanaged<IntPtr, int*, int>)Symbol("MPI_Comm_rank");
        Allreduce = (delegate* unmanaged<IntPtr, IntPtr, int, IntPtr, IntPtr, IntPtr, int>)Symbol("MPI_Allreduce");
        Bcast = (delegate* unmanaged<IntPtr, int, IntPtr, int, IntPtr, int>)Symbol("MPI_Bcast");
        Allgather = (delegate* unmanaged<IntPtr, int, IntPtr, IntPtr, int, IntPtr, IntPtr, int>)Symbol("MPI_Allgather");
        ReduceScatterBlock = (delegate* unmanaged<IntPtr, IntPtr, int, IntPtr, IntPtr, IntPtr, int>)Symbol("MPI_Reduce_scatter_block");
        Barrier = (delegate* unmanaged<IntPtr, int>)Symbol("MPI_Barrier");
        Abort = (delegate* unmanaged<IntPtr, int, int>)Symbol("MPI_Abort");
    }

    public IntPtr CommWorld { get; }
    public IntPtr Float { get; }
    public IntPtr Double { get; }
    public IntPtr Int64 { get; }
    public IntPtr Byte { get; }
    public IntPtr Sum { get; }
    public IntPtr Max { get; }
    public IntPtr Min { get; }

    public delegate* unmanaged<IntPtr, IntPtr, int> Init { get; }
    public delegate* unmanaged<int*, int> Initialized { get; }
    public delegate* unmanaged<int*, int> Finalized { get; }
    public delegate* unmanaged<int> Finalize { get; }
    public delegate* unmanaged<IntPtr, int*, int> CommSize { get; }
    public delegate* unmanaged<IntPtr, int*, int> CommRank { get; }
    public delegate* unmanaged<IntPtr, IntPtr, int, IntPtr, IntPtr, IntPtr, int> Allreduce { get; }
    public delegate* unmanaged<IntPtr, int, IntPtr, int, IntPtr, int> Bcast { get; }
    public delegate* unmanaged<IntPtr, int, IntPtr, IntPtr, int, IntPtr, IntPtr, int> Allgather { get; }
    public delegate* unmanaged<IntPtr, IntPtr, int, IntPtr, IntPtr, IntPtr, int> ReduceScatterBlock { get; }
    public delegate* unmanaged<IntPtr, int> Barrier { get; }
    public delegate* unmanaged<IntPtr, int, int> Abort { get; }

    /// <summary>Opens Open MPI, or explains how to install it.</summary>
    /// <exception cref="DllNotFoundException">Open MPI is not installed; the message names the package.</exception>
    public static MpiLibrary Open()
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("Composer.NET's MPI communicator binds Open MPI's libmpi.so.40 on Linux; on this system train in one process.");
        IntPtr handle = DlOpen(FileName, RtldNow | RtldGlobal);
        if (handle == IntPtr.Zero)
            throw new DllNotFoundException(
                $"This process was launched by an MPI launcher but Open MPI's {FileName} cannot be loaded ({Marshal.PtrToStringUTF8(DlError()) ?? "not found"}). " +
                "Install Open MPI: 'apt-get install openmpi-bin libopenmpi-dev' on Debian or Ubuntu.");
        return new MpiLibrary(handle);
    }

    private IntPtr Symbol(string name) =>
        NativeLibrary.TryGetExport(_handle, name, out IntPtr address)
            ? address
            : throw new EntryPointNotFoundException($"{FileName} has no {name}: Composer.NET needs Open MPI 4 or newer (libmpi.so.40), not another MPI.");

    [DllImport("libc.so.6", EntryPoint = "dlopen")]
    private static extern IntPtr DlOpen([MarshalAs(UnmanagedType.LPUTF8Str)] string file, int mode);

    [DllImport("libc.so.6", EntryPoint = "dlerror")]
    private static extern IntPtr DlError();
}
