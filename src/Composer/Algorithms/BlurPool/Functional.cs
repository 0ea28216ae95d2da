using Composer.Algorithms;
using Composer.Surgery;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>The anti-aliasing filter [[1, 2, 1], [2, 4, 2], [1, 2, 1]] / 16, shaped [1, 1, 3, 3].</summary>
    public static Tensor BlurFilter() =>
        tensor(new float[] { 1, 2, 1, 2, 4, 2, 1, 2, 1 }).reshape(1, 1, 3, 3).div(16f);

    /// <summary>
    /// Composer's <c>blur_2d</c>: each channel cross-correlated with the filter, padded to keep the size, at
    /// <paramref name="stride"/>. <paramref name="filter"/> is [1, 1, k, k] or [C, 1, k, k].
    /// </summary>
    public static Tensor Blur2d(Tensor input, Tensor filter, long stride = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(filter);
        long channels = input.shape[1];
        using var scope = NewDisposeScope();
        Tensor perChannel = filter.shape[0] == 1 && channels > 1 ? filter.repeat(channels, 1, 1, 1) : filter;
        long padH = filter.shape[2] / 2, padW = filter.shape[3] / 2;
        // An input smaller than the filter is left as it is, as Composer does.
        if (input.shape[2] + 2 * padH < filter.shape[2] || input.shape[3] + 2 * padW < filter.shape[3]) return input.alias().MoveToOuterDisposeScope();
        return nn.functional.conv2d(input, perChannel.to_type(input.dtype), null, strides: [stride, stride], padding: [padH, padW], groups: channels)
            .MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Composer's <c>apply_blurpool</c>: strided <c>Conv2d</c>s with at least <paramref name="minChannels"/> input
    /// channels become <see cref="BlurConv2d"/>, and <c>MaxPool2d</c>s become <see cref="BlurMaxPool2d"/>.
    /// </summary>
    /// <returns>How many modules were replaced.</returns>
    public static int ApplyBlurPool(nn.Module model, optim.Optimizer? optimizer = null, bool replaceConvs = true, bool replaceMaxPools = true,
        bool blurFirst = true, int minChannels = 16) =>
        ModuleSurgery.ReplaceModules(model, (module, _) => module switch
        {
            Conv2d conv when replaceConvs && conv.stride.Max() > 1 && conv.in_channels >= minChannels => new BlurConv2d(conv, blurFirst),
            MaxPool2d pool when replaceMaxPools => new BlurMaxPool2d(pool),
            _ => null,
        }, optimizer).Count;
}
