using Composer.Core;
using Composer.Optim;
using static TorchSharp.torch;

namespace Composer.Checkpoints;

/// <summary>
/// Applies a checkpoint that <see cref="Checkpoint.Write"/> wrote to a trainer's <see cref="State"/>: the reverse of
/// writing, kept beside it. Everything is read and checked before anything changes.
/// </summary>
public static class CheckpointRestorer
{
    /// <summary>
    /// Loads <paramref name="path"/> into <paramref name="state"/>: the weights, and unless the checkpoint is
    /// weights-only or <paramref name="weightsOnly"/> is set, the members' state, the optimizer, the timestamp and
    /// the seeds, with TorchSharp's schedulers replayed to the saved time.
    /// </summary>
    /// <returns>
    /// The saved random state, for the caller to restore when training resumes (after <see cref="Event.FitStart"/>,
    /// as Composer does); null when only weights were loaded. The caller owns the tensor.
    /// </returns>
    /// <exception cref="CheckpointException">The file is unreadable or does not fit this trainer.</exception>
    public static Tensor? Restore(State state, string path, LearningRateSchedule schedule, bool weightsOnly = false, bool strictModelWeights = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(schedule);
        CheckpointContents checkpoint = Checkpoint.Read(path);
        weightsOnly |= checkpoint.WeightsOnly;
        var memberStates = new List<(IStateful Member, StateDict State)>();
        if (!weightsOnly)
        {
            foreach ((string key, IStateful member) in state.StatefulMembers)
            {
                StateDict saved = checkpoint.MemberState(key) ?? throw new CheckpointException(path,
                    $"it holds no state for the member {key}; it has: {string.Join(", ", checkpoint.MemberKeys)}. List the same members as the saved run, or set LoadWeightsOnly.");
                memberStates.Add((member, saved));
            }
        }

        if (!weightsOnly && checkpoint.WorldSize != state.Communicator.WorldSize)
            throw new CheckpointException(path,
                $"it was saved by {checkpoint.WorldSize} process(es) and this run has {state.Communicator.WorldSize}; each rank's random state and data shard depend on that. Resume with 'mpirun -np {checkpoint.WorldSize}', or set LoadWeightsOnly to start a new run from its weights.");
        checkpoint.LoadModel(state.Model, strictModelWeights);
        if (weightsOnly) return null;
        Timestamp timestamp = checkpoint.Timestamp!.Value;
        // Replayed on the fresh optimizer before its saved state loads (which holds the same rates).
        schedule.Replay(timestamp);
        // Members first: one that changes the optimizer's parameters (LayerFreezing) must do so before its state loads.
        foreach ((IStateful member, StateDict saved) in memberStates)
            member.LoadState(saved);
        checkpoint.LoadOptimizer(state.Optimizer, state.Rank);
        state.RestoreTimestamp(timestamp);
        state.Seed = checkpoint.Seed ?? state.Seed;
        if (checkpoint.DataloaderSeed is { } dataSeed) state.TrainDataloader.RestoreSeed(dataSeed);
        return checkpoint.RngState(state.Rank);
    }
}
