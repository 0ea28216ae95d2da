using static TorchSharp.torch;

namespace Composer.Tests.Algorithms;

/// <summary>CutOut, CutMix, ColOut and progressive resizing against hand-computed tensors.</summary>
public class ImageMethodsTests
{
    private static float[] Values(Tensor t) => t.data<float>().ToArray();

    [Test]
    public void CutOutZeroesTheBoxAroundEachCentreClippedAtTheBorder()
    {
        using var input = ones(2, 1, 4, 4);
        // Image 0: centre (1, 2), side 2 -> rows 0..1, columns 1..2. Image 1: centre (3, 0) -> rows 2..3, column 0 only.
        using var cy = tensor(new long[] { 1, 3 }).view(2, 1);
        using var cx = tensor(new long[] { 2, 0 }).view(2, 1);
        using Tensor output = Functional.CutOutBatch(input, cy, cx, side: 2);

        float[] expected =
        [
            1, 0, 0, 1,  1, 0, 0, 1,  1, 1, 1, 1,  1, 1, 1, 1,
            1, 1, 1, 1,  1, 1, 1, 1,  0, 1, 1, 1,  0, 1, 1, 1,
        ];
        Assert.That(Values(output), Is.EqualTo(expected));
        Assert.That(Values(input).All(v => v == 1), "the input is not changed");
    }

    [Test]
    public void CutOutsRandomFormErasesASideOfHalfTheImage()
    {
        manual_seed(3);
        using Tensor output = Functional.CutOutBatch(ones(8, 3, 10, 10), numHoles: 1, length: 0.5);
        // Side 5: at most 25 pixels per image, at least a corner's 3x3 = 9, the same in every channel.
        for (int i = 0; i < 8; i++)
        {
            long erased = (output[i, 0] == 0).sum().item<long>();
            Assert.That(erased, Is.InRange(9, 25), $"image {i}");
            Assert.That((output[i, 0] == output[i, 2]).all().item<bool>());
        }
    }

    [Test]
    public void CutMixPastesThePartnersBoxAndWeighsTargetsByTheKeptArea()
    {
        using var input = tensor(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, [2, 1, 2, 2]);
        using var target = tensor(new long[] { 0, 1 });
        using var indices = tensor(new long[] { 1, 0 });
        var (mixed, permuted, lambda) = Functional.CutMixBatch(input, target, indices: indices, box: new PixelBox(0, 0, 1, 1));

        Assert.That(Values(mixed), Is.EqualTo(new float[] { 5, 2, 3, 4, 1, 6, 7, 8 }));
        Assert.That(permuted.data<long>().ToArray(), Is.EqualTo(new long[] { 1, 0 }));
        Assert.That(lambda, Is.EqualTo(0.75));
    }

    [Test]
    public void CutMixsRandomBoxCoversAboutTheShareAndStaysInside()
    {
        manual_seed(4);
        for (int i = 0; i < 20; i++)
        {
            PixelBox box = Functional.RandomBox(8, 8, cutShare: 0.25);
            Assert.That(box.Top, Is.InRange(0, 8));
            Assert.That(box.Bottom, Is.InRange(box.Top, 8));
            Assert.That(box.Right, Is.InRange(box.Left, 8));
            Assert.That(box.Area, Is.LessThanOrEqualTo(16), "sides of at most 8·√0.25 = 4");
        }
    }

    [Test]
    public void ColOutKeepsTheChosenRowsAndColumnsInOrder()
    {
        using var input = arange(16, float32).view(1, 1, 4, 4);
        using Tensor output = Functional.ColOutBatch(input, tensor(new long[] { 0, 2 }), tensor(new long[] { 1, 3 }));
        Assert.That(Values(output), Is.EqualTo(new float[] { 1, 3, 9, 11 }));
    }

    [Test]
    public void ColOutDropsTheShareOfRowsAndColumns()
    {
        manual_seed(5);
        using Tensor output = Functional.ColOutBatch(arange(2 * 20 * 10, float32).view(2, 1, 20, 10), pRow: 0.25, pCol: 0.2);
        Assert.That(output.shape, Is.EqualTo(new long[] { 2, 1, 15, 8 }));
        // Rows stay in order: every row's first value grows down the image.
        float[] firstColumn = Values(output[0, 0, .., 0]);
        Assert.That(firstColumn, Is.Ordered.Ascending);
    }

    [TestCase(0.2, 32, 0.5)]      // before the delay: the initial scale
    [TestCase(0.65, 32, 0.75)]    // half way through the ramp 0.5 -> 0.8: 0.75, width 24 is a multiple of 4
    [TestCase(0.9, 32, 1.0)]      // fine-tuning at full size
    [TestCase(0.2, 28, 16.0 / 28)] // width 14 is pinned to 16, the nearest multiple of 4
    public void ProgressiveResizingFollowsComposersSchedule(double elapsed, long width, double expected) =>
        Assert.That(Functional.ProgressiveResizingScale(elapsed, width), Is.EqualTo(expected).Within(1e-12));

    [Test]
    public void ResizeBatchShrinksByTheScaleAndKeepsAConstantImageConstant()
    {
        using Tensor resized = Functional.ResizeBatch(full(2, 1, 8, 8, 0.5f), 0.5, ResizeMode.Resize);
        Assert.That(resized.shape, Is.EqualTo(new long[] { 2, 1, 4, 4 }));
        Assert.That(Values(resized).All(v => Math.Abs(v - 0.5f) < 1e-6));

        using var input = arange(64, float32).view(1, 1, 8, 8);
        using Tensor cropped = Functional.ResizeBatch(input, 0.5, ResizeMode.Crop);
        // A crop is a contiguous window: neighbours differ by 1 along a row and by 8 down a column.
        Assert.That(cropped.shape, Is.EqualTo(new long[] { 1, 1, 4, 4 }));
        Assert.That((cropped[0, 0, .., 1..] - cropped[0, 0, .., ..^1]).eq(1).all().item<bool>());
        Assert.That((cropped[0, 0, 1.., ..] - cropped[0, 0, ..^1, ..]).eq(8).all().item<bool>());
    }
}
