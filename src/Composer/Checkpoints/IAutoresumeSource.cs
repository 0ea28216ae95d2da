using Composer.Core;

namespace Composer.Checkpoints;

/// <summary>
/// A member that knows where its run's latest checkpoint is, so <see cref="TrainerOptions.Autoresume"/> can continue
/// from it. <see cref="Callbacks.CheckpointSaver"/> is one; a remote store's saver would be another.
/// </summary>
public interface IAutoresumeSource
{
    /// <summary>The latest full checkpoint of this run; null when there is none yet.</summary>
    string? LatestCheckpoint(State state);

    /// <summary>True when it writes weights only, which cannot resume a run.</summary>
    bool WeightsOnly { get; }
}
