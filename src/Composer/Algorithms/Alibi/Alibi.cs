using Composer.Core;

namespace Composer.Algorithms;

/// <summary>
/// ALiBi, Attention with Linear Biases (Press et al., 2022, arXiv:2108.12409), like <c>composer.algorithms.Alibi</c>:
/// at <see cref="Event.Init"/> the position embeddings are replaced by a per-head bias on the attention scores that
/// falls linearly with distance (<see cref="Functional.ApplyAlibi"/>); after the dataloader, each batch's sequences may
/// be reshaped shorter (<see cref="Functional.ScaleSequenceLength"/>), since ALiBi extrapolates to longer ones.
/// </summary>
/// <remarks>
/// Composer's defaults: trainSequenceLengthScaling 0.25. For sequence classification (a label per sample) use 1: the
/// reshape is for batches whose every tensor is a sequence (masked language modelling).
/// </remarks>
public sealed class Alibi : Algorithm
{
    /// <summary>Creates the algorithm.</summary>
    /// <param name="maxSequenceLength">The longest sequence the model will see, in training or evaluation.</param>
    /// <param name="trainSequenceLengthScaling">The factor on training sequence lengths, in (0, 1].</param>
    public Alibi(long maxSequenceLength, double trainSequenceLengthScaling = 0.25)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequenceLength, 1);
        if (!(trainSequenceLengthScaling > 0 && trainSequenceLengthScaling <= 1))
            throw new ArgumentOutOfRangeException(nameof(trainSequenceLengthScaling), trainSequenceLengthScaling, "The scaling is in (0, 1].");
        MaxSequenceLength = maxSequenceLength;
        TrainSequenceLengthScaling = trainSequenceLengthScaling;
    }

    /// <summary>The longest sequence the model will see.</summary>
    public long MaxSequenceLength { get; }

    /// <summary>The factor on training sequence lengths.</summary>
    public double TrainSequenceLengthScaling { get; }

    /// <summary>How many attention layers got the bias.</summary>
    public int Replaced { get; private set; }

    /// <summary>Adds the biases and zeroes the position embeddings.</summary>
    [OnEvent(Event.Init)]
    public void Apply(State state) => Replaced = Functional.ApplyAlibi(state.Model, MaxSequenceLength, state.Optimizer);

    /// <summary>Reshapes the batch's sequences shorter.</summary>
    [OnEvent(Event.AfterDataloader)]
    [Rewrites(Rewrite.Inputs)]
    public void ShortenSequences(State state)
    {
        if (TrainSequenceLengthScaling == 1) return;
        state.Batch = Functional.ScaleSequenceLength(state.Batch, TrainSequenceLengthScaling);
    }
}
