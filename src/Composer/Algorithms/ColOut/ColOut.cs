using Composer.Core;

namespace Composer.Algorithms;

/// <summary>
/// Drops random rows and columns of the training images after the batch is loaded, like
/// <c>composer.algorithms.ColOut</c> with <c>batch=True</c>. See <see cref="Functional.ColOutBatch(TorchSharp.torch.Tensor, double, double)"/>.
/// </summary>
/// <remarks>
/// Composer's method (MosaicML). Defaults: 15% of rows and 15% of columns. Composer can also apply it per sample as a
/// dataset transform; here it works on the batch (the same rows for every image), which is its <c>batch=True</c>
/// mode. The model must accept the smaller images (adaptive pooling does).
/// </remarks>
public sealed class ColOut : Algorithm
{
    /// <summary>Creates the algorithm.</summary>
    /// <param name="pRow">The share of rows to drop.</param>
    /// <param name="pCol">The share of columns to drop.</param>
    public ColOut(double pRow = 0.15, double pCol = 0.15)
    {
        if (pRow is < 0 or >= 1 || double.IsNaN(pRow)) throw new ArgumentOutOfRangeException(nameof(pRow), pRow, "The share to drop must be in [0, 1).");
        if (pCol is < 0 or >= 1 || double.IsNaN(pCol)) throw new ArgumentOutOfRangeException(nameof(pCol), pCol, "The share to drop must be in [0, 1).");
        PRow = pRow;
        PCol = pCol;
    }

    /// <summary>The share of rows dropped.</summary>
    public double PRow { get; }

    /// <summary>The share of columns dropped.</summary>
    public double PCol { get; }

    /// <summary>Drops the rows and columns.</summary>
    [OnEvent(Event.AfterDataloader)]
    [Rewrites(Rewrite.Inputs)]
    public void DropRowsAndColumns(State state) =>
        state.Batch = state.Batch with { Inputs = Functional.ColOutBatch(state.Batch.Inputs, PRow, PCol) };
}
