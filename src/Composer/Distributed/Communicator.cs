namespace Composer.Distributed;

/// <summary>
/// The process's communicator, found from how it was launched: under <c>mpirun</c> (or Slurm's <c>srun --mpi=pmix</c>)
/// an <see cref="MpiCommunicator"/> over the launched processes, otherwise the <see cref="SingleProcessCommunicator"/>.
/// </summary>
public static class Communicator
{
    private static readonly Lazy<ICommunicator> Detected = new(Detect);

    /// <summary>This process's communicator, created on first use and kept until the process ends (MPI starts once).</summary>
    public static ICommunicator World => Detected.Value;

    /// <summary>True when the environment says an MPI launcher started this process.</summary>
    public static bool LaunchedByMpi =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null ||
        Environment.GetEnvironmentVariable("PMIX_RANK") is not null;

    private static ICommunicator Detect() => LaunchedByMpi ? MpiCommunicator.Start() : SingleProcessCommunicator.Instance;
}
