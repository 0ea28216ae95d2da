using Composer.Core;
using static TorchSharp.torch;

namespace Composer.Callbacks;

/// <summary>
/// Frees the model's outputs once the loss is computed, as <c>composer.callbacks.FreeOutputs</c>, lowering peak memory
/// during the backward pass when no training metric needs the outputs.
/// </summary>
/// <remarks>
/// Every batch runs inside a dispose scope, so the outputs are freed at the end of the batch without this callback;
/// what it adds is freeing them before the backward pass. The autograd graph keeps what the backward pass needs, so
/// only the output tensor's own handle and storage go early. Do not combine it with
/// <see cref="TrainerOptions.ComputeTrainingMetrics"/> or an algorithm that reads <see cref="State.Outputs"/> after
/// <see cref="Event.AfterLoss"/>: they would find an empty tensor. List it in <c>[Trainer(...)]</c>.
/// </remarks>
public sealed class FreeOutputs : Callback
{
    /// <summary>Replaces the outputs with an empty tensor and frees them.</summary>
    [OnEvent(Event.AfterLoss)]
    public void Free(State state)
    {
        Tensor outputs = state.Outputs;
        state.Outputs = empty(0, device: outputs.device);
        outputs.Dispose();
    }
}
