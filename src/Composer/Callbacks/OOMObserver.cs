using Composer.Core;
using Composer.Loggers;

namespace Composer.Callbacks;

/// <summary>
/// Writes a memory snapshot when the run runs out of memory, as <c>composer.callbacks.OOMObserver</c>: to
/// <c>folder/filename.json</c> (<c>{run_name}/torch_traces/rank{rank}_oom.json</c>), handed to the loggers that store
/// files at the next chance, with the failed allocation's message.
/// </summary>
/// <remarks>
/// Composer registers an observer with the CUDA allocator, which TorchSharp 0.107 does not expose. This observes the
/// exception instead: from <see cref="Event.Init"/> to <see cref="Event.FitEnd"/> it watches first-chance exceptions for
/// libtorch's out-of-memory errors (CUDA's "out of memory", the CPU allocator's "can't allocate memory") and .NET's
/// <see cref="OutOfMemoryException"/>, and writes what the process can report (see <see cref="MemorySnapshot"/>) before
/// the exception unwinds, once per run. It costs nothing while no exception is thrown.
/// </remarks>
public sealed class OOMObserver : Callback
{
    private State? _state;
    private EventHandler<System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs>? _handler;
    private int _written;

    /// <summary>Creates the observer.</summary>
    /// <param name="folder">The folder; <c>{run_name}</c> is filled in.</param>
    /// <param name="filename">The file name without extension; <c>{rank}</c> and <c>{run_name}</c> are filled in.</param>
    public OOMObserver(string folder = "{run_name}/torch_traces", string filename = "rank{rank}_oom")
    {
        Folder = folder;
        Filename = filename;
    }

    /// <summary>The folder pattern.</summary>
    public string Folder { get; }

    /// <summary>The file-name pattern.</summary>
    public string Filename { get; }

    /// <summary>The snapshot written at an out-of-memory error; null while there was none.</summary>
    public string? SnapshotPath { get; private set; }

    /// <summary>Starts watching.</summary>
    [OnEvent(Event.Init)]
    public void Register(State state)
    {
        _state = state;
        _handler ??= (_, e) => Observe(e.Exception);
        AppDomain.CurrentDomain.FirstChanceException -= _handler;
        AppDomain.CurrentDomain.FirstChanceException += _handler;
    }

    /// <summary>Stops watching, and hands a snapshot written during the run to the loggers.</summary>
    [OnEvent(Event.FitEnd)]
    public void Unregister(State state, Logger logger)
    {
        if (_handler is not null) AppDomain.CurrentDomain.FirstChanceException -= _handler;
        if (SnapshotPath is not null) logger.UploadFile($"{state.RunName}/oom_traces/{Path.GetFileName(SnapshotPath)}", SnapshotPath);
    }

    /// <summary>True for the errors an allocation raises when memory runs out.</summary>
    public static bool IsOutOfMemory(Exception exception) =>
        exception is OutOfMemoryException
        || exception?.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase) == true
        || exception?.Message.Contains("can't allocate memory", StringComparison.OrdinalIgnoreCase) == true;

    private void Observe(Exception exception)
    {
        if (_state is null || !IsOutOfMemory(exception) || Interlocked.Exchange(ref _written, 1) == 1) return;
        try
        {
            string path = Path.Combine(ProcessMemory.Fill(Folder, _state), ProcessMemory.Fill(Filename, _state) + ".json");
            ProcessMemory.Write(path, new Dictionary<string, object>
            {
                ["error"] = exception.Message,
                ["batch"] = _state.Timestamp.Batch,
                ["rank"] = _state.Rank,
            });
            SnapshotPath = path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Writing may itself fail when memory or disk is gone: the original error is what the user sees.
        }
    }
}
