using Composer.Utils;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// Composer's <c>apply_channels_last</c>: stores every four-dimensional parameter and buffer of
    /// <paramref name="model"/> channels-last, in place (the tensors stay the same objects, so an optimizer built on
    /// them needs no update). Returns how many were converted.
    /// </summary>
    /// <remarks>
    /// TorchSharp 0.107 has no <c>memory_format</c>, but libtorch infers a tensor's format from its strides, so a tensor
    /// given channels-last strides (<see cref="MemoryFormat.ToChannelsLast"/>) is channels-last to every kernel.
    /// </remarks>
    public static int ApplyChannelsLast(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        int converted = 0;
        using var noGrad = no_grad();
        foreach (Tensor tensor in model.parameters().Concat(model.buffers()))
        {
            if (tensor.dim() != 4 || MemoryFormat.IsChannelsLast(tensor)) continue;
            using Tensor channelsLast = MemoryFormat.ToChannelsLast(tensor);
            tensor.set_(channelsLast);
            converted++;
        }
        return converted;
    }
}
