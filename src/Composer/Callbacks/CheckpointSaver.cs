using System.Text.RegularExpressions;
using Composer.Checkpoints;
using Composer.Core;

namespace Composer.Callbacks;

/// <summary>
/// Saves checkpoints during training, like <c>composer.callbacks.CheckpointSaver</c>: at the save interval
/// (at <see cref="Event.BatchCheckpoint"/> or <see cref="Event.EpochCheckpoint"/>) and when training ends.
/// Each file is written atomically, a "latest" link then points at it, and only the newest
/// <c>numCheckpointsToKeep</c> are kept. With <see cref="TrainerOptions.Autoresume"/> a rerun of the same
/// program continues from the latest one.
/// </summary>
public sealed partial class CheckpointSaver : Callback, IStateful
{
    private static readonly string[] FileTokens = ["{run_name}", "{epoch}", "{batch}", "{sample}", "{token}", "{rank}"];

    private readonly Time? _interval;
    private readonly Func<State, Event, bool>? _predicate;
    private readonly int _numCheckpointsToKeep;
    private readonly bool _overwrite;
    private readonly List<string> _saved = [];
    private long _lastSavedBatch = -1;
    private readonly IntervalCounter? _saveClock;

    /// <summary>Creates the callback.</summary>
    /// <param name="folder">Where to write; may contain <c>{run_name}</c>.</param>
    /// <param name="filename">
    /// The file name of each checkpoint; <c>{epoch}</c>, <c>{batch}</c>, <c>{sample}</c>, <c>{token}</c>,
    /// <c>{run_name}</c> and <c>{rank}</c> (always 0) are filled in.
    /// </param>
    /// <param name="latestFilename">The link to the newest checkpoint, or null for none (autoresume needs it).</param>
    /// <param name="saveInterval">How often to save: <c>"1ep"</c> (default), <c>"500ba"</c>, samples, tokens or <c>"0.25dur"</c>.</param>
    /// <param name="numCheckpointsToKeep">How many of the newest checkpoints to keep; -1 keeps all.</param>
    /// <param name="weightsOnly">Save only the model's weights (no resuming from them).</param>
    /// <param name="overwrite">Allow a new run to write into a folder that already holds checkpoints.</param>
    public CheckpointSaver(
        string folder,
        string filename = "ep{epoch}-ba{batch}.ckpt",
        string? latestFilename = "latest.ckpt",
        string saveInterval = "1ep",
        int numCheckpointsToKeep = -1,
        bool weightsOnly = false,
        bool overwrite = false)
        : this(folder, filename, latestFilename, numCheckpointsToKeep, weightsOnly, overwrite)
    {
        Time interval = Time.Parse(saveInterval);
        if (interval.Value <= 0 || interval.Unit is TimeUnit.Second or TimeUnit.Iteration)
            throw new ArgumentException($"The save interval must be a positive time in ep, ba, sp, tok or dur, such as \"1ep\" or \"500ba\"; got \"{saveInterval}\".", nameof(saveInterval));
        _interval = interval;
        _saveClock = new IntervalCounter(interval);
    }

    /// <summary>Creates the callback with a predicate deciding, at each checkpoint event, whether to save.</summary>
    /// <param name="folder">Where to write; may contain <c>{run_name}</c>.</param>
    /// <param name="saveWhen">Asked at <see cref="Event.BatchCheckpoint"/> and <see cref="Event.EpochCheckpoint"/>.</param>
    /// <param name="filename">The file name of each checkpoint, as in the other constructor.</param>
    /// <param name="latestFilename">The link to the newest checkpoint, or null for none.</param>
    /// <param name="numCheckpointsToKeep">How many of the newest checkpoints to keep; -1 keeps all.</param>
    /// <param name="weightsOnly">Save only the model's weights.</param>
    /// <param name="overwrite">Allow a new run to write into a folder that already holds checkpoints.</param>
    public CheckpointSaver(
        string folder,
        Func<State, Event, bool> saveWhen,
        string filename = "ep{epoch}-ba{batch}.ckpt",
        string? latestFilename = "latest.ckpt",
        int numCheckpointsToKeep = -1,
        bool weightsOnly = false,
        bool overwrite = false)
        : this(folder, filename, latestFilename, numCheckpointsToKeep, weightsOnly, overwrite)
    {
        _predicate = saveWhen ?? throw new ArgumentNullException(nameof(saveWhen));
    }

    private CheckpointSaver(string folder, string filename, string? latestFilename, int numCheckpointsToKeep, bool weightsOnly, bool overwrite)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        Folder = folder;
        Filename = CheckPattern(filename, nameof(filename));
        LatestFilename = latestFilename is null ? null : CheckPattern(latestFilename, nameof(latestFilename));
        if (numCheckpointsToKeep is 0 or < -1)
            throw new ArgumentOutOfRangeException(nameof(numCheckpointsToKeep), numCheckpointsToKeep, "Keep at least 1 checkpoint, or -1 to keep all.");
        _numCheckpointsToKeep = numCheckpointsToKeep;
        WeightsOnly = weightsOnly;
        _overwrite = overwrite;
    }

    /// <summary>The folder pattern.</summary>
    public string Folder { get; }

    /// <summary>The file-name pattern of each checkpoint.</summary>
    public string Filename { get; }

    /// <summary>The name of the link to the newest checkpoint; null for none.</summary>
    public string? LatestFilename { get; }

    /// <summary>True when only the model's weights are saved.</summary>
    public bool WeightsOnly { get; }

    /// <summary>The checkpoints this run (and the runs it resumed) wrote and still keeps, oldest first.</summary>
    public IReadOnlyList<string> SavedCheckpoints => _saved;

    /// <summary>The folder with <c>{run_name}</c> filled in.</summary>
    public string FolderFor(State state) => Folder.Replace("{run_name}", state.RunName, StringComparison.Ordinal);

    /// <summary>The newest checkpoint in the folder by the latest link; null when there is none yet.</summary>
    public string? LatestCheckpoint(State state)
    {
        if (LatestFilename is null) return null;
        string latest = Path.Combine(FolderFor(state), Fill(LatestFilename, state));
        // A link whose target is gone is reported by the loader, not mistaken for a fresh start.
        return File.Exists(latest) || new FileInfo(latest).LinkTarget is not null ? latest : null;
    }

    /// <summary>Refuses to mix a new run's checkpoints with an earlier run's, before any batch is trained.</summary>
    [OnEvent(Event.FitStart)]
    public void CheckFolder(State state)
    {
        if (_overwrite || state.Timestamp.Batch > 0) return;
        string folder = FolderFor(state);
        if (Directory.Exists(folder) && Directory.EnumerateFiles(folder).Any(f => !AtomicFile.IsTemporary(f)))
            throw new InvalidOperationException(
                $"The checkpoint folder \"{folder}\" already holds files of an earlier run. Set Autoresume = true in the TrainerOptions to continue it, choose another folder, or pass overwrite: true.");
    }

    /// <summary>Saves after a batch when the interval (or the end of training) says so.</summary>
    [OnEvent(Event.BatchCheckpoint)]
    public void SaveAfterBatch(State state)
    {
        if (IsDue(state, Event.BatchCheckpoint)) Save(state);
    }

    /// <summary>Saves after an epoch when the interval (or the end of training) says so.</summary>
    [OnEvent(Event.EpochCheckpoint)]
    public void SaveAfterEpoch(State state)
    {
        if (IsDue(state, Event.EpochCheckpoint)) Save(state);
    }

    /// <summary>Writes a checkpoint now, points the latest link at it and removes those beyond the number to keep.</summary>
    /// <returns>The checkpoint's path.</returns>
    public string Save(State state)
    {
        ArgumentNullException.ThrowIfNull(state);
        string folder = FolderFor(state);
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, Fill(Filename, state));
        // Listed before writing so the checkpoint's own copy of this callback's state includes it.
        _saved.Remove(path);
        _saved.Add(path);
        try
        {
            Checkpoint.Save(state, path, WeightsOnly);
        }
        catch
        {
            _saved.RemoveAt(_saved.Count - 1);
            throw;
        }
        _lastSavedBatch = state.Timestamp.Batch;
        if (LatestFilename is not null)
            AtomicFile.Point(Path.Combine(folder, Fill(LatestFilename, state)), path);
        while (_numCheckpointsToKeep > 0 && _saved.Count > _numCheckpointsToKeep)
        {
            File.Delete(_saved[0]);
            _saved.RemoveAt(0);
        }
        return path;
    }

    /// <inheritdoc/>
    public void SaveState(StateDict state)
    {
        state.Set("saved", _saved);
        state.Set("lastSavedBatch", _lastSavedBatch);
        state.Set("intervalCount", _saveClock?.Last ?? 0);
    }

    /// <inheritdoc/>
    public void LoadState(StateDict state)
    {
        _saved.Clear();
        _saved.AddRange(state.GetStrings("saved"));
        _lastSavedBatch = (long)state.GetNumber("lastSavedBatch");
        if (_saveClock is not null) _saveClock.Last = state.GetNumber("intervalCount");
    }

    private bool IsDue(State state, Event trigger)
    {
        if (_predicate is not null) return _predicate(state, trigger);
        // Training ends here: save once, unless this batch was just saved at BatchCheckpoint.
        if (state.Timestamp >= state.MaxDuration) return state.Timestamp.Batch != _lastSavedBatch;
        Time interval = _interval!.Value;
        return interval.Unit switch
        {
            TimeUnit.Epoch => trigger == Event.EpochCheckpoint && state.Timestamp.Epoch % interval.Count == 0,
            TimeUnit.Batch => trigger == Event.BatchCheckpoint && state.Timestamp.Batch % interval.Count == 0,
            _ => trigger == Event.BatchCheckpoint && _saveClock!.Crossed(state),
        };
    }

    private static string Fill(string pattern, State state) => pattern
        .Replace("{run_name}", state.RunName, StringComparison.Ordinal)
        .Replace("{epoch}", state.Timestamp.Epoch.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{batch}", state.Timestamp.Batch.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{sample}", state.Timestamp.Sample.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{token}", state.Timestamp.Token.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{rank}", "0", StringComparison.Ordinal);

    private static string CheckPattern(string pattern, string parameter)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern, parameter);
        string rest = FileTokens.Aggregate(pattern, (p, token) => p.Replace(token, "", StringComparison.Ordinal));
        Match unknown = Placeholder().Match(rest);
        if (unknown.Success)
            throw new ArgumentException($"Unknown placeholder {unknown.Value} in \"{pattern}\"; the accepted ones are {string.Join(", ", FileTokens)}.", parameter);
        if (pattern.IndexOfAny(['/', '\\']) >= 0)
            throw new ArgumentException($"\"{pattern}\" is a file name and cannot contain a folder; put folders in the folder argument.", parameter);
        return pattern;
    }

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Placeholder();
}
