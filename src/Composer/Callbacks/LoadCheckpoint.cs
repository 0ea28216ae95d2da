using Composer.Checkpoints;
using Composer.Core;
using Composer.ObjectStores;

namespace Composer.Callbacks;

/// <summary>
/// Loads a checkpoint's model weights during a run, as <c>composer.callbacks.LoadCheckpoint</c>: at
/// <see cref="Event.BeforeLoad"/> by default, or at another of the events below, or every <c>interval</c> (at the end
/// of each due batch or epoch). <c>ignoreKeys</c> leaves the named parameters as they are (a new head on a pretrained
/// body); <c>strictModelWeights</c> requires the rest to match exactly.
/// </summary>
/// <remarks>
/// The path may be local or an object store URI (downloaded into the temporary folder first). Only the weights are
/// loaded: a whole run (optimizer, timestamp, members) is restored by <see cref="TrainerOptions.LoadPath"/> or
/// autoresume, before training starts, not in the middle of it. Under several processes rank 0 reads the file and the
/// weights are broadcast.
/// </remarks>
public sealed class LoadCheckpoint : Callback
{
    private static readonly Event[] Events =
        [Event.BeforeLoad, Event.AfterLoad, Event.FitStart, Event.EpochStart, Event.EpochEnd, Event.BatchEnd, Event.EvalStart, Event.FitEnd];

    private readonly Func<State, Event, bool>? _isDue;

    /// <summary>Creates the callback.</summary>
    /// <param name="loadPath">The checkpoint: a path or an object store URI.</param>
    /// <param name="event">When to load: <see cref="Event.BeforeLoad"/> (default), AfterLoad, FitStart, EpochStart, EpochEnd, BatchEnd, EvalStart or FitEnd.</param>
    /// <param name="interval">Instead of an event, every this often (<c>"100ba"</c>, <c>"1ep"</c>).</param>
    /// <param name="strictModelWeights">Require every other parameter to match.</param>
    /// <param name="ignoreKeys">Parameter names (as <c>named_parameters</c> gives them) not to load.</param>
    public LoadCheckpoint(string loadPath, Event @event = Event.BeforeLoad, [TimeString] string? interval = null, bool strictModelWeights = true,
        IReadOnlyList<string>? ignoreKeys = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(loadPath);
        if (!Events.Contains(@event))
            throw new ArgumentException($"LoadCheckpoint loads at {string.Join(", ", Events)}; not at {@event}, which is inside a batch.", nameof(@event));
        LoadPath = loadPath;
        Event = @event;
        StrictModelWeights = strictModelWeights;
        IgnoreKeys = ignoreKeys ?? [];
        if (interval is not null)
        {
            Time every = IntervalScheduler.RequireInterval(Time.Parse(interval), nameof(interval), "The load interval", allowZero: false);
            _isDue = new IntervalScheduler(every, Event.EpochEnd, Event.BatchEnd).IsDue;
        }
    }

    /// <summary>The checkpoint.</summary>
    public string LoadPath { get; }

    /// <summary>When it loads, without an interval.</summary>
    public Event Event { get; }

    /// <summary>Whether the other weights must match exactly.</summary>
    public bool StrictModelWeights { get; }

    /// <summary>Parameters left as they are.</summary>
    public IReadOnlyList<string> IgnoreKeys { get; }

    /// <summary>How many times it has loaded.</summary>
    public int Loads { get; private set; }

    /// <summary>Before the checkpoint load step.</summary>
    [OnEvent(Event.BeforeLoad)]
    public void AtBeforeLoad(State state) => At(state, Event.BeforeLoad);

    /// <summary>After the checkpoint load step.</summary>
    [OnEvent(Event.AfterLoad)]
    public void AtAfterLoad(State state) => At(state, Event.AfterLoad);

    /// <summary>At the start of training.</summary>
    [OnEvent(Event.FitStart)]
    public void AtFitStart(State state) => At(state, Event.FitStart);

    /// <summary>At the start of an epoch.</summary>
    [OnEvent(Event.EpochStart)]
    public void AtEpochStart(State state) => At(state, Event.EpochStart);

    /// <summary>At the end of an epoch.</summary>
    [OnEvent(Event.EpochEnd)]
    public void AtEpochEnd(State state) => At(state, Event.EpochEnd);

    /// <summary>At the end of a batch.</summary>
    [OnEvent(Event.BatchEnd)]
    public void AtBatchEnd(State state) => At(state, Event.BatchEnd);

    /// <summary>At the start of an evaluation.</summary>
    [OnEvent(Event.EvalStart)]
    public void AtEvalStart(State state) => At(state, Event.EvalStart);

    /// <summary>At the end of training.</summary>
    [OnEvent(Event.FitEnd)]
    public void AtFitEnd(State state) => At(state, Event.FitEnd);

    private void At(State state, Event now)
    {
        if (_isDue is null ? now != Event : !(now is Event.BatchEnd or Event.EpochEnd && _isDue(state, now))) return;
        if (state.Rank == 0)
        {
            string path = ObjectStoreUri.IsRemote(LoadPath) ? DownloadCache.Fetch(LoadPath, store: null, cacheFolder: null) : LoadPath;
            Checkpoint.Read(path).LoadModel(state.Model, StrictModelWeights, [.. IgnoreKeys]);
        }
        state.Replicas?.BroadcastWeights();
        Loads++;
    }
}
