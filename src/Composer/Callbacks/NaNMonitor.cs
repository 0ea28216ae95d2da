using Composer.Core;
using TorchSharp;

namespace Composer.Callbacks;

/// <summary>
/// Stops the run with an error when the loss is NaN, like <c>composer.callbacks.NaNMonitor</c>. It reads the
/// loss after every loss computation, which waits for the device: adding it is asking for that sync.
/// </summary>
public sealed class NaNMonitor : Callback
{
    /// <summary>Checks the loss.</summary>
    /// <exception cref="InvalidOperationException">The loss is NaN.</exception>
    [OnEvent(Event.AfterLoss)]
    public void CheckLoss(State state)
    {
        if (state.Loss.isnan().any().item<bool>())
            throw new InvalidOperationException(
                $"The training loss is NaN at epoch {state.Timestamp.Epoch}, batch {state.Timestamp.Batch}. Lower the learning rate, add GradientClipping, or check the inputs for NaN.");
    }
}
