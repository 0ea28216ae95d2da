using Composer.Algorithms.Augmentations;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Algorithms;

/// <summary>
/// The image operations taken from TorchVision against PIL's formulas written out as tensor code, on grey (MNIST's one
/// channel) and colour images.
/// </summary>
public class AugmentationTorchVisionTests
{
    private static IEnumerable<long> Channels() => [1, 3];

    private static Tensor Image(long channels)
    {
        torch.manual_seed(5);
        return rand(channels, 9, 11);
    }

    private static double Worst(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    [TestCaseSource(nameof(Channels))]
    public void AutoContrastStretchesEachChannel(long channels)
    {
        using var scope = NewDisposeScope();
        Tensor x = Image(channels);
        Tensor low = x.amin([1, 2], keepdim: true), high = x.amax([1, 2], keepdim: true);
        Assert.That(Worst(AugmentationPrimitives.AutoContrast(x), (x - low) / (high - low)), Is.LessThan(1e-6));
    }

    [TestCaseSource(nameof(Channels))]
    public void PosterizeAndSolarizeFollowTheEightBitFormulas(long channels)
    {
        using var scope = NewDisposeScope();
        Tensor x = Image(channels);
        Tensor posterized = (x * 255).round().div(32).floor() * 32 / 255;
        Assert.That(Worst(AugmentationPrimitives.Posterize(x, 3), posterized), Is.LessThan(1e-6));
        Assert.That(Worst(AugmentationPrimitives.Solarize(x, 128), where(x * 255 < 128, x, 1 - x)), Is.LessThan(1e-6));
    }

    [TestCaseSource(nameof(Channels))]
    public void BrightnessAndSharpnessBlendAsPilDoes(long channels)
    {
        using var scope = NewDisposeScope();
        Tensor x = Image(channels);
        Assert.That(Worst(AugmentationPrimitives.Brightness(x, 1.4), (1.4 * x).clamp(0, 1)), Is.LessThan(1e-6));
        // PIL's smoothing filter inside the border, the border kept, then the blend.
        Tensor kernel = tensor(new float[] { 1, 1, 1, 1, 5, 1, 1, 1, 1 }).view(1, 1, 3, 3) / 13;
        Tensor smooth = nn.functional.conv2d(x.unsqueeze(1), kernel, padding: [1, 1]).squeeze(1);
        Tensor degenerate = x.clone();
        degenerate.narrow(1, 1, 7).narrow(2, 1, 9).copy_(smooth.narrow(1, 1, 7).narrow(2, 1, 9));
        Assert.That(Worst(AugmentationPrimitives.Sharpness(x, 1.7), (degenerate + 1.7 * (x - degenerate)).clamp(0, 1)), Is.LessThan(1e-6));
    }

    [TestCaseSource(nameof(Channels))]
    public void RotateTurnsAboutTheCentreWithBilinearSamplingOnSquareImages(long channels)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(6);
        Tensor x = rand(channels, 10, 10);
        double r = 20 * Math.PI / 180;
        Tensor theta = tensor(new[] { Math.Cos(r), -Math.Sin(r), 0, Math.Sin(r), Math.Cos(r), 0 }, dtype: float32).view(1, 2, 3);
        Tensor grid = nn.functional.affine_grid(theta, [1, channels, 10, 10], align_corners: false);
        Tensor expected = nn.functional.grid_sample(x.unsqueeze(0), grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false).squeeze(0);
        Assert.That(Worst(AugmentationPrimitives.Rotate(x, 20), expected), Is.LessThan(1e-5));
    }

    [Test]
    public void RotateIsARotationInPixelsOnNonSquareImagesToo()
    {
        // 9 rows by 11 columns, centre (row 4, column 5). Counter-clockwise by 90 degrees, as PIL's rotate turns, the pixel
        // three to the right of the centre goes three above it. (Rotating the grid's normalized coordinates instead
        // would stretch it by the aspect ratio.)
        using var scope = NewDisposeScope();
        Tensor x = zeros(1, 9, 11);
        x[0, 4, 8] = tensor(1f);
        Tensor rotated = AugmentationPrimitives.Rotate(x, 90);
        Assert.That(rotated[0, 1, 5].item<float>(), Is.EqualTo(1f).Within(1e-5));
        Assert.That(rotated.sum().item<float>(), Is.EqualTo(1f).Within(1e-5));
    }

    [Test]
    public void ShearMovesPixelsByTheAmountTimesTheirRowOnNonSquareImages()
    {
        // 9 rows by 11 columns: a shear of 1 moves the pixel 2 rows below the centre (row 6) by 2 columns, whatever the aspect.
        using var scope = NewDisposeScope();
        Tensor x = zeros(1, 9, 11);
        x[0, 6, 5] = tensor(1f);
        Tensor sheared = AugmentationPrimitives.Shear(x, 1, horizontal: true);
        long at = sheared[0, 6].argmax().item<long>();
        Assert.That(Math.Abs(at - 5), Is.EqualTo(2));
        Assert.That(sheared[0, 6, at].item<float>(), Is.EqualTo(1f).Within(1e-5));
    }
}
