using static TorchSharp.torch;

namespace Composer.Utils;

/// <summary>
/// PyTorch's <c>torch.channels_last</c> for four-dimensional tensors, which TorchSharp 0.107 does not expose: a
/// tensor of shape [N, C, H, W] whose elements lie in memory in N, H, W, C order. libtorch reads the format from the
/// strides (<c>suggest_memory_format</c>), so these strides are all it takes.
/// </summary>
public static class MemoryFormat
{
    /// <summary>The channels-last strides of a [N, C, H, W] shape: C is innermost, then W, H and N.</summary>
    public static long[] ChannelsLastStrides(ReadOnlySpan<long> shape)
    {
        if (shape.Length != 4)
            throw new ArgumentException($"Channels last is defined for 4-D [N, C, H, W] tensors; this shape has {shape.Length} dimensions.", nameof(shape));
        long c = shape[1], h = shape[2], w = shape[3];
        return [h * w * c, 1, w * c, c];
    }

    /// <summary>
    /// A channels-last copy of <paramref name="tensor"/> (PyTorch's <c>tensor.to(memory_format=torch.channels_last)</c>,
    /// always a new tensor); equal to it element for element.
    /// </summary>
    public static Tensor ToChannelsLast(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        long[] strides = ChannelsLastStrides(tensor.shape);
        using Tensor storage = empty(tensor.numel(), dtype: tensor.dtype, device: tensor.device);
        Tensor channelsLast = storage.as_strided(tensor.shape, strides);
        channelsLast.copy_(tensor);
        return channelsLast;
    }

    /// <summary>
    /// Whether libtorch sees <paramref name="tensor"/> as channels-last: PyTorch's
    /// <c>is_channels_last_strides_2d</c>, which settles dimensions of size 1 as PyTorch does (an [N, 1, 1, 1] tensor is
    /// not channels-last).
    /// </summary>
    public static bool IsChannelsLast(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.dim() != 4) return false;
        long[] sizes = tensor.shape, strides = tensor.stride();
        if (strides[1] == 0) return false;
        long min = 0;
        foreach (int d in (ReadOnlySpan<int>)[1, 3, 2, 0])
        {
            if (sizes[d] == 0 || strides[d] < min) return false;
            if (d == 0 && min == strides[1]) return false;
            min = strides[d];
            if (sizes[d] > 1) min *= sizes[d];
        }
        return true;
    }
}
