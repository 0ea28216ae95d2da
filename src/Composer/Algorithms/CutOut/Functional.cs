using TorchSharp;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// CutOut (DeVries and Taylor, 2017, "Improved Regularization of Convolutional Neural Networks with Cutout",
    /// arXiv:1708.04552): zeroes <paramref name="numHoles"/> square boxes of side <paramref name="length"/> at
    /// random centres in each image of an [N, C, H, W] batch; boxes are clipped at the border.
    /// </summary>
    /// <param name="input">The images.</param>
    /// <param name="numHoles">Boxes per image.</param>
    /// <param name="length">The side: a fraction of min(H, W) when below 1, else pixels.</param>
    /// <returns>A new batch; the input is not changed.</returns>
    public static Tensor CutOutBatch(Tensor input, int numHoles = 1, double length = 0.5)
    {
        RequireImages(input, "CutOut");
        long height = input.shape[2], width = input.shape[3];
        using var scope = NewDisposeScope();
        Tensor centreY = randint(0, height, [input.shape[0], numHoles], device: input.device);
        Tensor centreX = randint(0, width, [input.shape[0], numHoles], device: input.device);
        return CutOutBatch(input, centreY, centreX, BoxSide(length, height, width)).MoveToOuterDisposeScope();
    }

    /// <summary>CutOut with the box centres given: [N, holes] rows and columns, and the side in pixels.</summary>
    public static Tensor CutOutBatch(Tensor input, Tensor centreY, Tensor centreX, long side)
    {
        RequireImages(input, "CutOut");
        using var scope = NewDisposeScope();
        long height = input.shape[2], width = input.shape[3];
        // Boxes as masks: row r is inside when centre - side/2 <= r < centre + side/2 (Composer's rounding).
        Tensor rows = arange(height, device: input.device).view(1, 1, height);
        Tensor cols = arange(width, device: input.device).view(1, 1, width);
        Tensor top = (centreY - side / 2).unsqueeze(-1), left = (centreX - side / 2).unsqueeze(-1);
        Tensor inRows = (rows >= top) & (rows < top + side);            // [N, holes, H]
        Tensor inCols = (cols >= left) & (cols < left + side);          // [N, holes, W]
        Tensor holes = (inRows.unsqueeze(-1) & inCols.unsqueeze(-2)).any(1); // [N, H, W]
        Tensor keep = holes.logical_not().unsqueeze(1).to(input.dtype);
        return (input * keep).MoveToOuterDisposeScope();
    }

    private static long BoxSide(double length, long height, long width)
    {
        if (!(length > 0))
            throw new ArgumentOutOfRangeException(nameof(length), length, "The box side must be positive: a fraction of the image below 1, or pixels.");
        return length < 1 ? (long)Math.Round(length * Math.Min(height, width)) : (long)length;
    }

    private static void RequireImages(Tensor input, string method)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 4)
            throw new ArgumentException($"{method} works on image batches of shape [N, C, H, W]; got [{string.Join(", ", input.shape)}].", nameof(input));
    }
}
