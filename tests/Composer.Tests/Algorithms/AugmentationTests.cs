using Composer.Algorithms.Augmentations;
using static TorchSharp.torch;

namespace Composer.Tests.Algorithms;

/// <summary>The augmentation primitives, AugMix and RandAugment against hand-computed tensors.</summary>
public class AugmentationTests
{
    private static float[] Values(Tensor t) => t.data<float>().ToArray();

    [Test]
    public void AutoContrastStretchesEachChannelToZeroOne()
    {
        using var image = tensor(new float[] { 0.2f, 0.4f, 0.6f, 0.6f, 0.5f, 0.5f, 0.5f, 0.5f }, [2, 2, 2]);
        // Channel 0 spans [0.2, 0.6]; channel 1 is flat and stays.
        Assert.That(Values(AugmentationPrimitives.AutoContrast(image)), Is.EqualTo(new float[] { 0, 0.5f, 1, 1, 0.5f, 0.5f, 0.5f, 0.5f }).Within(1e-6));
    }

    [Test]
    public void PosterizeAndSolarizeWorkOnEightBitLevels()
    {
        using var image = tensor(new float[] { 0.4f, 0.8f }, [1, 1, 2]);
        // 0.4 -> level 102, 0.8 -> 204. One bit keeps 0 or 128.
        Assert.That(Values(AugmentationPrimitives.Posterize(image, 1)), Is.EqualTo(new float[] { 0, 128 / 255f }).Within(1e-6));
        // Threshold 128: 102 stays, 204 inverts to 1 - 0.8.
        Assert.That(Values(AugmentationPrimitives.Solarize(image, 128)), Is.EqualTo(new float[] { 0.4f, 0.2f }).Within(1e-6));
    }

    [Test]
    public void EqualizeUsesPilsLookupTable()
    {
        // 256 pixels: 128 at level 0, 127 at level 100, 1 at level 200. The last level's count is 1, so
        // step = (256 - 1) / 255 = 1 and each level maps to the count below it: 0, 128, 255.
        float[] pixels = Enumerable.Repeat(0f, 128).Concat(Enumerable.Repeat(100 / 255f, 127)).Append(200 / 255f).ToArray();
        using var image = tensor(pixels, [1, 16, 16]);
        float[] equalized = Values(AugmentationPrimitives.Equalize(image));
        Assert.That(equalized.Distinct().OrderBy(v => v), Is.EqualTo(new[] { 0f, 128 / 255f, 1f }).Within(1e-6));
        Assert.That(equalized[200], Is.EqualTo(128 / 255f).Within(1e-6));
    }

    [Test]
    public void TranslateShiftsWholePixelsAndFillsWithZero()
    {
        using var image = tensor(new float[] { 1, 2, 3, 4 }, [1, 1, 4]);
        Assert.That(Values(AugmentationPrimitives.Translate(image, 1, horizontal: true)), Is.EqualTo(new float[] { 0, 1, 2, 3 }).Within(1e-5));
    }

    [Test]
    public void BrightnessAndContrastBlendTowardsTheirDegenerateImage()
    {
        using var image = tensor(new float[] { 0.2f, 0.6f }, [1, 1, 2]);
        Assert.That(Values(AugmentationPrimitives.Brightness(image, 0.5)), Is.EqualTo(new float[] { 0.1f, 0.3f }).Within(1e-6));
        // Mean 0.4: 0.4 + 1.5 * (x - 0.4).
        Assert.That(Values(AugmentationPrimitives.Contrast(image, 1.5)), Is.EqualTo(new float[] { 0.1f, 0.7f }).Within(1e-6));
    }

    [Test]
    public void AugMixCombinesChainsByTheirWeightsThenMixesWithTheImage()
    {
        using var image = ones(1, 2, 2);
        using Tensor mixed = Functional.AugMixCombine(image, [full(1, 2, 2, 2f), full(1, 2, 2, 4f)], [0.25, 0.75], mixingWeight: 0.5);
        // 0.5 * 1 + 0.5 * (0.25 * 2 + 0.75 * 4) = 2.25
        Assert.That(Values(mixed).All(v => Math.Abs(v - 2.25f) < 1e-6));
    }

    [TestCase("augmix")]
    [TestCase("randaugment")]
    public void TheRandomAugmentationsAreSeededStayInRangeAndChangeTheImage(string method)
    {
        Tensor Run()
        {
            manual_seed(12);
            using var image = rand(3, 16, 16, generator: new TorchSharp.torch.Generator(1));
            return method == "augmix" ? Functional.AugMixImage(image, severity: 5) : Functional.RandAugmentImage(image, severity: 9);
        }

        using Tensor first = Run(), second = Run();
        using var original = rand(3, 16, 16, generator: new TorchSharp.torch.Generator(1));
        Assert.That(Values(first), Is.EqualTo(Values(second)), "one seed, one result");
        Assert.That(first.min().item<float>(), Is.GreaterThanOrEqualTo(0f));
        Assert.That(first.max().item<float>(), Is.LessThanOrEqualTo(1f + 1e-6f));
        Assert.That(first.sub(original).abs().max().item<float>(), Is.GreaterThan(1e-3f));
    }

    [Test]
    public void AugmentBatchUndoesAndRedoesTheNormalization()
    {
        using var input = tensor(new float[] { -1, 1 }, [1, 1, 1, 2]);
        // With mean 0.5 and std 0.5 the pixels are 0 and 1; the identity gives the input back.
        using Tensor output = Functional.AugmentBatch(input, image => image, mean: 0.5, std: 0.5);
        Assert.That(Values(output), Is.EqualTo(new float[] { -1, 1 }));
    }
}
