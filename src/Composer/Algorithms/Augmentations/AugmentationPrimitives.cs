using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Algorithms.Augmentations;

/// <summary>Which image operations AugMix and RandAugment draw from, as Composer's <c>augmentation_sets</c>.</summary>
public enum AugmentationSet
{
    /// <summary>All thirteen operations, the colour ones (color, contrast, brightness, sharpness) included.</summary>
    All,
    /// <summary>The nine of the AugMix paper, without the colour operations (which overlap ImageNet-C corruptions).</summary>
    Safe,
}

/// <summary>
/// The image operations of AugMix and RandAugment (Composer's <c>augmentation_primitives</c>, after PIL's
/// ImageOps and ImageEnhance), on one image [C, H, W] with values in [0, 1] and a severity level in [0, 10].
/// TorchSharp has no torchvision transforms, so each is built here from tensor operations; the geometric ones
/// (rotate, shear, translate) use <c>affine_grid</c> + <c>grid_sample</c> about the image centre, filling with 0.
/// </summary>
public static class AugmentationPrimitives
{
    /// <summary>An operation: (image, level) to a new image.</summary>
    public delegate Tensor Operation(Tensor image, double level);

    /// <summary>The operations of <paramref name="set"/>, by name.</summary>
    public static IReadOnlyList<(string Name, Operation Apply)> Of(AugmentationSet set)
    {
        var safe = new List<(string, Operation)>
        {
            ("autocontrast", (x, _) => AutoContrast(x)),
            ("equalize", (x, _) => Equalize(x)),
            ("posterize", (x, l) => Posterize(x, 4 - IntParameter(SampleLevel(l), 4))),
            ("rotate", (x, l) => Rotate(x, RandomSign() * IntParameter(SampleLevel(l), 30))),
            ("solarize", (x, l) => Solarize(x, 256 - IntParameter(SampleLevel(l), 256))),
            ("shear_x", (x, l) => Shear(x, RandomSign() * FloatParameter(SampleLevel(l), 0.3), horizontal: true)),
            ("shear_y", (x, l) => Shear(x, RandomSign() * FloatParameter(SampleLevel(l), 0.3), horizontal: false)),
            ("translate_x", (x, l) => Translate(x, RandomSign() * IntParameter(SampleLevel(l), x.shape[2] / 3.0), horizontal: true)),
            ("translate_y", (x, l) => Translate(x, RandomSign() * IntParameter(SampleLevel(l), x.shape[1] / 3.0), horizontal: false)),
        };
        if (set == AugmentationSet.Safe) return safe;
        Operation Enhance(Func<Tensor, double, Tensor> enhance) => (x, l) => enhance(x, FloatParameter(SampleLevel(l), 1.8) + 0.1);
        safe.Add(("color", Enhance(Color)));
        safe.Add(("contrast", Enhance(Contrast)));
        safe.Add(("brightness", Enhance(Brightness)));
        safe.Add(("sharpness", Enhance(Sharpness)));
        return safe;
    }

    /// <summary>Stretches each channel to span [0, 1] (PIL's <c>autocontrast</c>); flat channels stay.</summary>
    public static Tensor AutoContrast(Tensor image)
    {
        using var scope = NewDisposeScope();
        Tensor low = image.amin([1, 2], keepdim: true), high = image.amax([1, 2], keepdim: true);
        Tensor range = high - low;
        return where(range > 0, (image - low) / range.clamp_min(1e-12), image).MoveToOuterDisposeScope();
    }

    /// <summary>Equalizes each channel's 256-bin histogram with PIL's lookup table.</summary>
    public static Tensor Equalize(Tensor image)
    {
        using var scope = NewDisposeScope();
        Tensor levels = (image * 255).round().clamp(0, 255).to(int64);
        var channels = new List<Tensor>();
        for (long c = 0; c < image.shape[0]; c++)
        {
            Tensor q = levels[c];
            Tensor histogram = q.flatten().bincount(null, 256);
            Tensor used = histogram.nonzero().flatten();
            long last = histogram[used[-1]].item<long>();
            long step = (histogram.sum().item<long>() - last) / 255;
            if (step == 0)
            {
                channels.Add(image[c]);
                continue;
            }
            Tensor before = cat([zeros(1, int64), histogram.cumsum(0).narrow(0, 0, 255)]);
            Tensor table = ((before + step / 2) / step).floor().clamp(0, 255);
            channels.Add(table.index_select(0, q.flatten()).view(q.shape).to(image.dtype) / 255);
        }
        return stack(channels).MoveToOuterDisposeScope();
    }

    /// <summary>Keeps the top <paramref name="bits"/> bits of each 8-bit value.</summary>
    public static Tensor Posterize(Tensor image, int bits)
    {
        double bucket = Math.Pow(2, 8 - Math.Clamp(bits, 0, 8));
        using var scope = NewDisposeScope();
        return ((image * 255).round().div(bucket).floor() * bucket / 255).MoveToOuterDisposeScope();
    }

    /// <summary>Inverts values at or above <paramref name="threshold"/> (of 256).</summary>
    public static Tensor Solarize(Tensor image, double threshold)
    {
        using var scope = NewDisposeScope();
        return where(image * 255 < threshold, image, 1 - image).MoveToOuterDisposeScope();
    }

    /// <summary>Rotates by <paramref name="degrees"/> about the centre.</summary>
    public static Tensor Rotate(Tensor image, double degrees)
    {
        double r = degrees * Math.PI / 180;
        return Affine(image, [Math.Cos(r), -Math.Sin(r), 0, Math.Sin(r), Math.Cos(r), 0]);
    }

    /// <summary>Shears by <paramref name="amount"/> about the centre, along x or y.</summary>
    public static Tensor Shear(Tensor image, double amount, bool horizontal) =>
        Affine(image, horizontal ? [1, amount, 0, 0, 1, 0] : [1, 0, 0, amount, 1, 0]);

    /// <summary>Shifts by <paramref name="pixels"/> right (or down), filling with 0.</summary>
    public static Tensor Translate(Tensor image, double pixels, bool horizontal)
    {
        long size = horizontal ? image.shape[2] : image.shape[1];
        double shift = -2.0 * pixels / size;
        return Affine(image, horizontal ? [1, 0, shift, 0, 1, 0] : [1, 0, 0, 0, 1, shift]);
    }

    /// <summary>Blends towards grey (PIL's <c>Color</c>): a no-op for one channel.</summary>
    public static Tensor Color(Tensor image, double factor) =>
        image.shape[0] == 3 ? Blend(Grayscale(image).expand_as(image), image, factor) : image.alias();

    /// <summary>Blends towards the mean grey level (PIL's <c>Contrast</c>).</summary>
    public static Tensor Contrast(Tensor image, double factor)
    {
        using var scope = NewDisposeScope();
        Tensor mean = Grayscale(image).mean();
        return Blend(mean.expand_as(image), image, factor).MoveToOuterDisposeScope();
    }

    /// <summary>Scales towards black (PIL's <c>Brightness</c>).</summary>
    public static Tensor Brightness(Tensor image, double factor)
    {
        using var scope = NewDisposeScope();
        return Blend(zeros_like(image), image, factor).MoveToOuterDisposeScope();
    }

    /// <summary>Blends with PIL's smoothing filter [[1,1,1],[1,5,1],[1,1,1]]/13 inside the border (PIL's <c>Sharpness</c>).</summary>
    public static Tensor Sharpness(Tensor image, double factor)
    {
        using var scope = NewDisposeScope();
        Tensor kernel = tensor(new float[] { 1, 1, 1, 1, 5, 1, 1, 1, 1 }, dtype: image.dtype, device: image.device).view(1, 1, 3, 3) / 13;
        Tensor channels = image.unsqueeze(1);
        Tensor smooth = nn.functional.conv2d(channels, kernel, padding: [1, 1]).squeeze(1);
        // The border keeps its pixels, as PIL does.
        Tensor degenerate = image.clone();
        long h = image.shape[1], w = image.shape[2];
        if (h > 2 && w > 2)
            degenerate.narrow(1, 1, h - 2).narrow(2, 1, w - 2).copy_(smooth.narrow(1, 1, h - 2).narrow(2, 1, w - 2));
        return Blend(degenerate, image, factor).MoveToOuterDisposeScope();
    }

    // PIL's ImageEnhance: degenerate + factor·(image − degenerate), clipped to [0, 1].
    private static Tensor Blend(Tensor degenerate, Tensor image, double factor) =>
        (degenerate + factor * (image - degenerate)).clamp(0, 1);

    private static Tensor Grayscale(Tensor image) => image.shape[0] == 3
        ? (0.299 * image[0] + 0.587 * image[1] + 0.114 * image[2]).unsqueeze(0)
        : image.mean([0], keepdim: true);

    private static Tensor Affine(Tensor image, double[] theta)
    {
        using var scope = NewDisposeScope();
        Tensor matrix = tensor(theta, dtype: image.dtype, device: image.device).view(1, 2, 3);
        Tensor batch = image.unsqueeze(0);
        Tensor grid = nn.functional.affine_grid(matrix, batch.shape, align_corners: false);
        return nn.functional.grid_sample(batch, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false)
            .squeeze(0).MoveToOuterDisposeScope();
    }

    // Composer's level helpers: a uniform level in [0.1, level], then scaled to the operation's range.
    private static double SampleLevel(double level) => 0.1 + (Math.Max(level, 0.1) - 0.1) * Uniform();
    private static int IntParameter(double level, double max) => (int)(level * max / 10);
    private static double FloatParameter(double level, double max) => level * max / 10;
    private static double RandomSign() => Uniform() < 0.5 ? -1 : 1;

    internal static double Uniform()
    {
        using var scope = NewDisposeScope();
        return rand(1, float64).item<double>();
    }

    internal static int Choose(int count)
    {
        using var scope = NewDisposeScope();
        return (int)randint(0, count, [1]).item<long>();
    }
}
