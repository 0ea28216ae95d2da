using Composer.Core;

namespace Composer.Algorithms;

/// <summary>
/// Channels Last (Composer's <c>composer.algorithms.ChannelsLast</c>): at <see cref="Event.Init"/> every four-dimensional
/// parameter and buffer of the model is stored channels-last (NHWC), PyTorch's <c>model.to(memory_format=
/// torch.channels_last)</c>. Convolutions then produce channels-last activations, which libtorch's oneDNN and cuDNN
/// kernels run faster, on the CPU especially under bfloat16 mixed precision and for max pooling. Shapes and values do
/// not change: only the order of elements in memory does. No hyperparameters.
/// </summary>
public sealed class ChannelsLast : Algorithm
{
    /// <summary>How many parameters and buffers were converted.</summary>
    public int Converted { get; private set; }

    /// <summary>Converts the model.</summary>
    [OnEvent(Event.Init)]
    public void Apply(State state) => Converted = Functional.ApplyChannelsLast(state.Model);
}
