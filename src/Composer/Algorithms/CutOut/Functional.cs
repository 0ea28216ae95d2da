using TorchSharp;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// CutOut (DeVries and Taylor, 2017, "Improved Regularization of Convolutional Neural Networks with Cutout",
    /// arXiv:1708.04552), as Composer's <c>cutout_batch</c>: zeroes <paramref name="numHoles"/> square boxes at random
    /// centres, the same in every image of an [N, C, H, W] batch; boxes are clipped at the border.
    /// </summary>
    /// <param name="input">The images.</param>
    /// <param name="numHoles">Boxes per image.</param>
    /// <param name="length">The side: ⌊length × min(H, W)⌋ pixels when below 1 (Composer's), else that many pixels.</param>
    /// <returns>A new batch; the input is not changed.</returns>
    public static Tensor CutOutBatch(Tensor input, int numHoles = 1, double length = 0.5)
    {
        RequireImages(input, "CutOut");
        long height = input.shape[2], width = input.shape[3];
        using var scope = NewDisposeScope();
        // As Composer's cutout_batch, the same holes in every image of the batch.
        Tensor centreY = randint(0, height, [1, numHoles], device: input.device).expand(input.shape[0], numHoles);
        Tensor centreX = randint(0, width, [1, numHoles], device: input.device).expand(input.shape[0], numHoles);
        return CutOutBatch(input, centreY, centreX, BoxSide(length, height, width)).MoveToOuterDisposeScope();
    }

    /// <summary>CutOut with the box centres given: [N, holes] rows and columns, and the side in pixels.</summary>
    public static Tensor CutOutBatch(Tensor input, Tensor centreY, Tensor centreX, long side)
    {
        RequireImages(input, "CutOut");
        using var scope = NewDisposeScope();
        long height = input.shape[2], width = input.shape[3];
        // Boxes as masks: row r is inside when centre - side/2 <= r < centre + side/2, with side/2 rounded down, as
        // Composer's _generate_mask (so an odd side covers side - 1 pixels).
        Tensor rows = arange(height, device: input.device).view(1, 1, height);
        Tensor cols = arange(width, device: input.device).view(1, 1, width);
        long half = side / 2;
        Tensor top = (centreY - half).unsqueeze(-1), left = (centreX - half).unsqueeze(-1);
        Tensor inRows = (rows >= top) & (rows < top + 2 * half);        // [N, holes, H]
        Tensor inCols = (cols >= left) & (cols < left + 2 * half);      // [N, holes, W]
        Tensor holes = (inRows.unsqueeze(-1) & inCols.unsqueeze(-2)).any(1); // [N, H, W]
        Tensor keep = holes.logical_not().unsqueeze(1).to(input.dtype);
        return (input * keep).MoveToOuterDisposeScope();
    }

    private static long BoxSide(double length, long height, long width)
    {
        if (!(length > 0))
            throw new ArgumentOutOfRangeException(nameof(length), length, "The box side must be positive: a fraction of the image below 1, or pixels.");
        return length < 1 ? (long)(length * Math.Min(height, width)) : (long)length;
    }

    private static void RequireImages(Tensor input, string method)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 4)
            throw new ArgumentException($"{method} works on image batches of shape [N, C, H, W]; got [{string.Join(", ", input.shape)}].", nameof(input));
    }
}
