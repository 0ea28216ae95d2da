using Composer.Core;
using Composer.Datasets;
using Composer.Loggers;

namespace MnistSample;

/// <summary>
/// The W&amp;B guide's "log predictions" example: keeps the first 100 test digits of each evaluation with their true
/// and predicted labels, and logs the last evaluation's as a table of images at the end of training.
/// </summary>
public sealed class DigitPredictions(bool enabled, int count = 100) : Callback
{
    private readonly List<(LoggedImage Image, long Truth, long Prediction)> _rows = [];

    /// <summary>Starts a new evaluation's rows.</summary>
    [OnEvent(Event.EvalStart)]
    public void Clear(State state) => _rows.Clear();

    /// <summary>Keeps digits until there are enough.</summary>
    [OnEvent(Event.EvalBatchEnd)]
    public void Keep(State state)
    {
        if (!enabled || _rows.Count >= count) return;
        // Back from the loader's normalization to pixels in [0, 1].
        var pixels = state.Batch.Inputs.mul(Mnist.StandardDeviation).add(Mnist.Mean);
        long[] truth = state.Batch.Targets.data<long>().ToArray();
        long[] predicted = state.Outputs.argmax(1).data<long>().ToArray();
        for (int i = 0; i < truth.Length && _rows.Count < count; i++)
            _rows.Add((new LoggedImage(pixels[i]), truth[i], predicted[i]));
    }

    /// <summary>Logs the table once training ends (loggers run after callbacks, so W&amp;B still has its run open).</summary>
    [OnEvent(Event.FitEnd)]
    public void Log(State state, Logger logger)
    {
        if (!enabled || _rows.Count == 0) return;
        logger.LogTable("predictions", ["image", "truth", "prediction"],
            _rows.Select(r => (IReadOnlyList<object>)[r.Image, r.Truth, r.Prediction]).ToList());
    }
}
