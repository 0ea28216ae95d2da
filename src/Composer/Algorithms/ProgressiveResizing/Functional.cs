using TorchSharp;
using static TorchSharp.torch;

namespace Composer;

/// <summary>How <see cref="Functional.ResizeBatch(Tensor, Tensor, double, ResizeMode, bool)"/> makes images smaller.</summary>
public enum ResizeMode
{
    /// <summary>Nearest-neighbour interpolation of the whole image, by the scale factor (as Composer's <c>resize</c>).</summary>
    Resize,
    /// <summary>A random crop (the same place for the whole batch).</summary>
    Crop,
}

public static partial class Functional
{
    /// <summary>
    /// Progressive resizing's scale at <paramref name="elapsed"/> (a fraction of training), as Composer computes
    /// it: <paramref name="initialScale"/> until <paramref name="delayFraction"/>, then linear up to 1 when the last
    /// <paramref name="finetuneFraction"/> starts, pinned so the width is a multiple of <paramref name="sizeIncrement"/>.
    /// </summary>
    public static double ProgressiveResizingScale(double elapsed, long width, double initialScale = 0.5, double delayFraction = 0.5,
        double finetuneFraction = 0.2, long sizeIncrement = 4)
    {
        double scale;
        if (elapsed < delayFraction) scale = initialScale;
        else if (elapsed > 1 - finetuneFraction) scale = 1;
        else
        {
            double span = 1 - finetuneFraction - delayFraction;
            scale = span <= 0 ? 1 : initialScale + (1 - initialScale) * (elapsed - delayFraction) / span;
        }
        double pinnedWidth = Math.Round(width * scale / sizeIncrement) * sizeIncrement;
        return Math.Clamp(pinnedWidth / width, sizeIncrement / (double)width, 1.0);
    }

    /// <summary>
    /// Makes an [N, C, H, W] batch <paramref name="scale"/> times smaller, like Composer's <c>resize_batch</c>, by
    /// nearest-neighbour interpolation or a random crop. A scale of 1 or more returns the input as it is.
    /// </summary>
    public static Tensor ResizeBatch(Tensor input, double scale, ResizeMode mode = ResizeMode.Resize)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = NewDisposeScope();
        return ResizeBatch(input, input, scale, mode, resizeTargets: false).Input.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Composer's <c>resize_batch</c>: makes the [N, C, H, W] inputs, and with <paramref name="resizeTargets"/> the
    /// targets ([N, H, W] class indices or [N, C, H, W], for segmentation), <paramref name="scale"/> times smaller.
    /// <see cref="ResizeMode.Resize"/> interpolates to ⌊H × scale⌋ × ⌊W × scale⌋ with the nearest pixel, taken by the
    /// scale factor itself (PyTorch's <c>interpolate(scale_factor=scale, mode='nearest', recompute_scale_factor=False)</c>);
    /// <see cref="ResizeMode.Crop"/> cuts a random window of that size, its corner drawn with <c>torch.randint(H − Hc)</c>
    /// and <c>torch.randint(W − Wc)</c>, and the same region of the targets. A scale of 1 or more changes nothing.
    /// </summary>
    public static (Tensor Input, Tensor Target) ResizeBatch(Tensor input, Tensor target, double scale,
        ResizeMode mode = ResizeMode.Resize, bool resizeTargets = false)
    {
        RequireImages(input, "Progressive resizing");
        ArgumentNullException.ThrowIfNull(target);
        if (!(scale > 0)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale must be positive.");
        if (resizeTargets && target.dim() <= 2)
            throw new ArgumentException($"Resizing the targets needs [N, H, W] or [N, C, H, W] targets; these are [{string.Join(", ", target.shape)}].", nameof(target));
        if (scale >= 1) return (input.alias(), target.alias());
        using var scope = NewDisposeScope();
        bool indices = resizeTargets && !target.is_floating_point();
        // Class indices are resized as a one-channel float image, as Composer does.
        Tensor y = indices ? target.to(float32).unsqueeze(1) : target;
        Tensor x;
        if (mode == ResizeMode.Resize)
        {
            x = Nearest(input, scale);
            if (resizeTargets) y = Nearest(y, scale);
        }
        else
        {
            long heightX = (long)(scale * input.shape[2]), widthX = (long)(scale * input.shape[3]);
            long top = RandomCorner(input.shape[2] - heightX), left = RandomCorner(input.shape[3] - widthX);
            x = input.narrow(2, top, heightX).narrow(3, left, widthX);
            if (resizeTargets)
            {
                // The same region of targets of another resolution: corner and size scaled to theirs.
                long heightY = (long)(scale * y.shape[2]), widthY = (long)(scale * y.shape[3]);
                long topY = (long)((double)y.shape[2] / input.shape[2] * top), leftY = (long)((double)y.shape[3] / input.shape[3] * left);
                y = y.narrow(2, topY, heightY).narrow(3, leftY, widthY);
            }
        }
        if (indices) y = y.squeeze(1).to(target.dtype);
        return (x.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope());
    }

    private static Tensor Nearest(Tensor images, double scale) =>
        nn.functional.interpolate(images, scale_factor: [scale, scale], mode: InterpolationMode.Nearest, recompute_scale_factor: false);

    // torch.randint(n, size=(1,)); with nothing to choose from (the crop is the whole side) the corner is 0.
    private static long RandomCorner(long range) => range <= 0 ? 0 : randint(range, [1]).item<long>();
}
