using Composer.Core;

namespace Composer.Tests.Checkpoints;

/// <summary>Ends a run early as a preemption would: stops cleanly after one batch, or crashes inside another.</summary>
public sealed class Interruption(long? stopAfterBatch = null, long? crashInBatch = null) : Callback
{
    [OnEvent(Event.BatchEnd)]
    public void StopAfter(State state)
    {
        if (state.Timestamp.Batch == stopAfterBatch) state.StopTraining();
    }

    [OnEvent(Event.AfterForward)]
    public void CrashIn(State state)
    {
        // The timestamp counts finished batches, so batch n is in flight while it reads n - 1.
        if (state.Timestamp.Batch + 1 == crashInBatch) throw new SimulatedCrash();
    }
}

public sealed class SimulatedCrash : Exception;

/// <summary>A member with state whose save fails from a given batch on, as a full disk would.</summary>
public sealed class FailingState(long failFromBatch = long.MaxValue) : Callback, IStateful
{
    public double Counter { get; private set; }

    [OnEvent(Event.BatchEnd)]
    public void Count(State state) => Counter++;

    public void SaveState(StateDict state)
    {
        if (Counter >= failFromBatch) throw new IOException("No space left on device (simulated).");
        state.Set("counter", Counter);
    }

    public void LoadState(StateDict state) => Counter = state.GetNumber("counter");
}
