using TorchSharp;
using static TorchSharp.torch;

namespace Composer;

/// <summary>How <see cref="Functional.ResizeBatch"/> makes images smaller.</summary>
public enum ResizeMode
{
    /// <summary>Bilinear interpolation of the whole image.</summary>
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
    /// Makes an [N, C, H, W] batch <paramref name="scale"/> times smaller, like Composer's <c>resize_batch</c>,
    /// by resizing or cropping. The targets are returned as they are (labels).
    /// </summary>
    public static Tensor ResizeBatch(Tensor input, double scale, ResizeMode mode = ResizeMode.Resize)
    {
        RequireImages(input, "Progressive resizing");
        if (!(scale > 0 && scale <= 1)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale must be in (0, 1].");
        if (scale == 1) return input.alias();
        long height = input.shape[2], width = input.shape[3];
        long newHeight = Math.Max(1, (long)(height * scale)), newWidth = Math.Max(1, (long)(width * scale));
        if (mode == ResizeMode.Resize)
            return nn.functional.interpolate(input, [newHeight, newWidth], mode: InterpolationMode.Bilinear, align_corners: false);
        using var scope = NewDisposeScope();
        long top = randint(0, height - newHeight + 1, [1]).item<long>();
        long left = randint(0, width - newWidth + 1, [1]).item<long>();
        return input.narrow(2, top, newHeight).narrow(3, left, newWidth).MoveToOuterDisposeScope();
    }
}
