using Composer.Core;

namespace Composer.Algorithms;

/// <summary>
/// Erases random square boxes from each training image after the batch is loaded, like
/// <c>composer.algorithms.CutOut</c>. See <see cref="Functional.CutOutBatch(TorchSharp.torch.Tensor, int, double)"/>.
/// </summary>
/// <remarks>DeVries and Taylor, 2017 (arXiv:1708.04552). Composer's defaults: 1 hole, length 0.5.</remarks>
public sealed class CutOut : Algorithm
{
    /// <summary>Creates the algorithm.</summary>
    /// <param name="numHoles">Boxes per image.</param>
    /// <param name="length">The side: a fraction of min(H, W) below 1, else pixels.</param>
    public CutOut(int numHoles = 1, double length = 0.5)
    {
        if (numHoles < 1) throw new ArgumentOutOfRangeException(nameof(numHoles), numHoles, "CutOut needs at least one hole.");
        if (!(length > 0)) throw new ArgumentOutOfRangeException(nameof(length), length, "The box side must be positive.");
        NumHoles = numHoles;
        Length = length;
    }

    /// <summary>Boxes per image.</summary>
    public int NumHoles { get; }

    /// <summary>The box side.</summary>
    public double Length { get; }

    /// <summary>Erases the boxes from the batch's inputs.</summary>
    [OnEvent(Event.AfterDataloader)]
    [Rewrites(Rewrite.Inputs)]
    public void EraseBoxes(State state) =>
        state.Batch = state.Batch with { Inputs = Functional.CutOutBatch(state.Batch.Inputs, NumHoles, Length) };
}
