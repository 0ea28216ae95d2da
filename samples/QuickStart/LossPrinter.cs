using Composer.Core;

namespace QuickStart;

/// <summary>A callback: averages the training loss over each epoch and prints it with the eval accuracy.</summary>
/// <remarks>The sums are [Checkpointed]: a run resumed mid-epoch still averages over the whole epoch.</remarks>
public sealed partial class LossPrinter : Callback
{
    [Checkpointed] private double _lossSum;
    [Checkpointed] private int _batches;

    /// <summary>The mean training loss of the last finished epoch.</summary>
    public double LastEpochLoss { get; private set; } = double.NaN;

    [OnEvent(Event.BatchEnd)]
    public void RecordLoss(State state)
    {
        // Reading the loss waits for the device; fine for a sample, avoided by the built-in loggers.
        _lossSum += state.Loss.item<float>();
        _batches++;
    }

    [OnEvent(Event.EpochEnd)]
    public void PrintEpoch(State state)
    {
        LastEpochLoss = _lossSum / _batches;
        Console.WriteLine($"epoch {state.Timestamp.Epoch}: mean train loss {LastEpochLoss:F4} over {_batches} batches");
        _lossSum = 0;
        _batches = 0;
    }

    [OnEvent(Event.EvalEnd)]
    public void PrintAccuracy(State state)
    {
        string label = state.DataloaderLabel ?? "eval";
        double accuracy = state.EvalMetrics[label]["Accuracy"].Compute();
        Console.WriteLine($"{label} accuracy {accuracy:P1} after {state.Timestamp.Batch} batches");
    }
}
