using TorchSharp;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// ColOut (Composer's own method, <c>colout_batch</c>): drops a random share of the rows and of the columns of
    /// every image of an [N, C, H, W] batch (the same ones for the whole batch), making the images smaller and
    /// training faster.
    /// </summary>
    /// <param name="input">The images.</param>
    /// <param name="pRow">The share of rows to drop, in [0, 1).</param>
    /// <param name="pCol">The share of columns to drop, in [0, 1).</param>
    /// <returns>The images with round((1 − p)·H) rows and round((1 − p)·W) columns, in their original order.</returns>
    public static Tensor ColOutBatch(Tensor input, double pRow = 0.15, double pCol = 0.15)
    {
        RequireImages(input, "ColOut");
        RequireShare(pRow, nameof(pRow));
        RequireShare(pCol, nameof(pCol));
        long height = input.shape[2], width = input.shape[3];
        using var scope = NewDisposeScope();
        Tensor rows = KeptIndices(height, pRow, input.device);
        Tensor cols = KeptIndices(width, pCol, input.device);
        return ColOutBatch(input, rows, cols).MoveToOuterDisposeScope();
    }

    /// <summary>ColOut with the kept row and column indices given.</summary>
    public static Tensor ColOutBatch(Tensor input, Tensor keptRows, Tensor keptCols)
    {
        RequireImages(input, "ColOut");
        return input.index_select(2, keptRows).index_select(3, keptCols);
    }

    private static Tensor KeptIndices(long size, double dropShare, Device device)
    {
        long kept = Math.Max(1, (long)Math.Round((1 - dropShare) * size));
        return randperm(size, device: device).narrow(0, 0, kept).sort().Values;
    }

    private static void RequireShare(double share, string name)
    {
        if (share is < 0 or >= 1 || double.IsNaN(share))
            throw new ArgumentOutOfRangeException(name, share, "The share to drop must be in [0, 1).");
    }
}
