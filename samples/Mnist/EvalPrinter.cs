using Composer.Core;

namespace MnistSample;

/// <summary>Prints each evaluation's accuracy with the time since the run started, when asked (--verbose).</summary>
public sealed class EvalPrinter(bool enabled) : Callback
{
    private readonly System.Diagnostics.Stopwatch _clock = new();

    /// <summary>Starts the clock.</summary>
    [OnEvent(Event.FitStart)]
    public void StartClock(State state) => _clock.Restart();

    /// <summary>Prints the accuracy.</summary>
    [OnEvent(Event.EvalEnd)]
    public void Print(State state)
    {
        if (!enabled || state.Rank != 0) return;
        double accuracy = state.EvalMetrics[state.DataloaderLabel!]["Accuracy"].Compute();
        Console.WriteLine($"  {_clock.Elapsed.TotalSeconds,6:F1} s  batch {state.Timestamp.Batch,5}  epoch {state.Timestamp.Epoch,3}  {state.DataloaderLabel} accuracy {accuracy:P2}");
    }
}
