using TorchSharp;
using static TorchSharp.torch;
using Vision = TorchSharp.torchvision.transforms.functional;

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
/// Six are TorchVision's (<c>torchvision.transforms.functional</c> for .NET), which gives PIL's numbers: autocontrast,
/// posterize, solarize, brightness, sharpness and rotate (a test checks each against PIL's formula). Contrast
/// and color are built here, because TorchVision's grey level weighs red 0.2989 where PIL's weighs it 0.299; equalize,
/// because TorchVision 0.107's fails on one-channel images; shear and
/// translate take PIL's affine coefficients, as Composer passes them, through <c>affine_grid</c> + <c>grid_sample</c>
/// about the image centre, filling with 0.
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
    public static Tensor AutoContrast(Tensor image) => Vision.autocontrast(image);

    /// <summary>Equalizes each channel's 256-bin histogram with PIL's lookup table.</summary>
    /// <remarks>Built here: TorchVision 0.107's <c>equalize</c> fails on one-channel images (it selects channel 1).</remarks>
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
    public static Tensor Posterize(Tensor image, int bits) => OnEightBits(image, levels => Vision.posterize(levels, Math.Clamp(bits, 0, 8)));

    /// <summary>Inverts values at or above <paramref name="threshold"/> (of 256).</summary>
    public static Tensor Solarize(Tensor image, double threshold) => Vision.solarize(image, threshold / 255);

    /// <summary>Rotates by <paramref name="degrees"/> counter-clockwise about the centre (bilinear, filling with 0).</summary>
    public static Tensor Rotate(Tensor image, double degrees) => Vision.rotate(image, (float)degrees, InterpolationMode.Bilinear);

    // TorchVision's 8-bit operations: the image's levels (rounded, as PIL's 8-bit images hold them) and back to [0, 1].
    private static Tensor OnEightBits(Tensor image, Func<Tensor, Tensor> operation)
    {
        using var scope = NewDisposeScope();
        Tensor levels = (image * 255).round().clamp(0, 255).to(ScalarType.Byte);
        return (operation(levels).to(image.dtype) / 255).MoveToOuterDisposeScope();
    }

    /// <summary>Shears by <paramref name="amount"/> about the centre, along x or y.</summary>
    public static Tensor Shear(Tensor image, double amount, bool horizontal)
    {
        // A shear of pixels, in the grid's coordinates that run -1 to 1 along each side: scaled by the aspect ratio.
        double height = image.shape[1], width = image.shape[2];
        return Affine(image, horizontal ? [1, amount * height / width, 0, 0, 1, 0] : [1, 0, 0, amount * width / height, 1, 0]);
    }

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
    public static Tensor Brightness(Tensor image, double factor) => Vision.adjust_brightness(image, factor);

    /// <summary>Blends with PIL's smoothing filter [[1,1,1],[1,5,1],[1,1,1]]/13 inside the border (PIL's <c>Sharpness</c>).</summary>
    public static Tensor Sharpness(Tensor image, double factor) => Vision.adjust_sharpness(image, factor);

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
