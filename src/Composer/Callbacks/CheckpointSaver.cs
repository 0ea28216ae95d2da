using System.Text.RegularExpressions;
using Composer.Checkpoints;
using Composer.Core;
using Composer.Loggers;
using Composer.ObjectStores;

namespace Composer.Callbacks;

/// <summary>
/// Saves checkpoints during training, like <c>composer.callbacks.CheckpointSaver</c>: at the save interval
/// (at <see cref="Event.BatchCheckpoint"/> or <see cref="Event.EpochCheckpoint"/>) and when training ends.
/// Each file is written atomically, a "latest" link then points at it, and only the newest
/// <c>numCheckpointsToKeep</c> are kept. With <see cref="TrainerOptions.Autoresume"/> a rerun of the same
/// program continues from the latest one.
/// </summary>
/// <remarks>
/// A folder such as <c>s3://bucket/run</c> or <c>azure://container/run</c> is an object store (Composer's remote
/// <c>save_folder</c>): each checkpoint is written to the local folder, then uploaded in the background, then the
/// store's <c>latest.ckpt.symlink</c> is pointed at it and the checkpoints it rotates out are deleted there too. The
/// store is the run's record: autoresume takes the local latest checkpoint when there is one, else downloads the
/// store's. <see cref="Event.FitEnd"/> waits for the uploads and throws if any failed after its retries.
/// </remarks>
public sealed partial class CheckpointSaver : Callback, IStateful, IAutoresumeSource
{
    private static readonly string[] FileTokens = ["{run_name}", "{epoch}", "{batch}", "{sample}", "{token}", "{rank}"];

    private readonly Func<State, Event, bool> _isDue = null!;
    private readonly int _numCheckpointsToKeep;
    private readonly bool _overwrite;
    private readonly List<string> _saved = [];
    private long _lastSavedBatch = -1;
    private readonly Regex _ownName;
    private readonly Regex? _ownLatestName;
    private bool _checkFolder;
    private readonly RemoteStore? _store;

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
    /// <param name="localFolder">
    /// With an object store folder, where checkpoints are written before they are uploaded; by default the URI's path
    /// under the working directory, as Composer does.
    /// </param>
    /// <param name="objectStore">With an object store folder, the store to use instead of the one its scheme names.</param>
    public CheckpointSaver(
        string folder,
        string filename = "ep{epoch}-ba{batch}.ckpt",
        string? latestFilename = "latest.ckpt",
        [TimeString] string saveInterval = "1ep",
        int numCheckpointsToKeep = -1,
        bool weightsOnly = false,
        bool overwrite = false,
        string? localFolder = null,
        ObjectStore? objectStore = null)
        : this(folder, filename, latestFilename, numCheckpointsToKeep, weightsOnly, overwrite, localFolder, objectStore)
    {
        Time interval = IntervalScheduler.RequireInterval(Time.Parse(saveInterval), nameof(saveInterval), "The save interval", allowZero: false);
        // Composer's create_interval_scheduler with its checkpoint events; the end of training is checked at both.
        _isDue = new IntervalScheduler(interval, Event.EpochCheckpoint, Event.BatchCheckpoint, Event.BatchCheckpoint, Event.EpochCheckpoint).IsDue;
    }

    /// <summary>Creates the callback with a predicate deciding, at each checkpoint event, whether to save.</summary>
    /// <param name="folder">Where to write; may contain <c>{run_name}</c>.</param>
    /// <param name="saveWhen">Asked at <see cref="Event.BatchCheckpoint"/> and <see cref="Event.EpochCheckpoint"/>.</param>
    /// <param name="filename">The file name of each checkpoint, as in the other constructor.</param>
    /// <param name="latestFilename">The link to the newest checkpoint, or null for none.</param>
    /// <param name="numCheckpointsToKeep">How many of the newest checkpoints to keep; -1 keeps all.</param>
    /// <param name="weightsOnly">Save only the model's weights.</param>
    /// <param name="overwrite">Allow a new run to write into a folder that already holds checkpoints.</param>
    /// <param name="localFolder">With an object store folder, where checkpoints are written before they are uploaded.</param>
    /// <param name="objectStore">With an object store folder, the store to use instead of the one its scheme names.</param>
    public CheckpointSaver(
        string folder,
        Func<State, Event, bool> saveWhen,
        string filename = "ep{epoch}-ba{batch}.ckpt",
        string? latestFilename = "latest.ckpt",
        int numCheckpointsToKeep = -1,
        bool weightsOnly = false,
        bool overwrite = false,
        string? localFolder = null,
        ObjectStore? objectStore = null)
        : this(folder, filename, latestFilename, numCheckpointsToKeep, weightsOnly, overwrite, localFolder, objectStore)
    {
        _isDue = saveWhen ?? throw new ArgumentNullException(nameof(saveWhen));
    }

    private CheckpointSaver(string folder, string filename, string? latestFilename, int numCheckpointsToKeep, bool weightsOnly, bool overwrite,
        string? localFolder, ObjectStore? objectStore)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        Folder = folder;
        _store = RemoteStore.Open(folder, localFolder, objectStore, nameof(CheckpointSaver));
        Filename = CheckPattern(filename, nameof(filename));
        _ownName = NameMatcher(Filename);
        LatestFilename = latestFilename is null ? null : CheckPattern(latestFilename, nameof(latestFilename));
        _ownLatestName = LatestFilename is null ? null : NameMatcher(LatestFilename);
        if (numCheckpointsToKeep is 0 or < -1)
            throw new ArgumentOutOfRangeException(nameof(numCheckpointsToKeep), numCheckpointsToKeep, "Keep at least 1 checkpoint, or -1 to keep all.");
        _numCheckpointsToKeep = numCheckpointsToKeep;
        WeightsOnly = weightsOnly;
        _overwrite = overwrite;
    }

    /// <summary>The folder pattern: a local folder, or an object store URI such as <c>s3://bucket/run</c>.</summary>
    public string Folder { get; }

    /// <summary>The file-name pattern of each checkpoint.</summary>
    public string Filename { get; }

    /// <summary>The name of the link to the newest checkpoint; null for none.</summary>
    public string? LatestFilename { get; }

    /// <summary>True when only the model's weights are saved.</summary>
    public bool WeightsOnly { get; }

    /// <summary>
    /// The file names, in the saver's folder, of the checkpoints this run (and the runs it resumed) wrote and
    /// still keeps, oldest first.
    /// </summary>
    public IReadOnlyList<string> SavedCheckpoints => _saved;

    /// <summary>The local folder the checkpoints are written to, with <c>{run_name}</c> filled in.</summary>
    public string FolderFor(State state) => _store?.LocalFolderFor(state) ?? ObjectStoreUri.LocalPath(Folder.Replace("{run_name}", state.RunName, StringComparison.Ordinal));

    /// <summary>
    /// The newest checkpoint by the latest link in the local folder; else, with an object store folder, the store's
    /// latest, downloaded into the local folder; null when there is none yet.
    /// </summary>
    public string? LatestCheckpoint(State state)
    {
        if (LatestFilename is null) return null;
        string latest = Path.Combine(FolderFor(state), Fill(LatestFilename, state));
        // A link whose target is gone is reported by the loader, not mistaken for a fresh start.
        if (File.Exists(latest) || new FileInfo(latest).LinkTarget is not null) return latest;
        return _store?.For(state).DownloadPointed(Fill(LatestFilename, state), FolderFor(state));
    }

    /// <summary>With an object store folder: waits for the uploads, and reports those that failed.</summary>
    /// <exception cref="ObjectStoreException">Uploads failed after their retries; the checkpoints are still in the local folder.</exception>
    [OnEvent(Event.FitEnd)]
    public void WaitForUploads(State state) => _store?.WaitForAll();

    /// <summary>
    /// Before any batch is trained: a resumed run starts its rotation from the checkpoints that are in the folder;
    /// a new run refuses to mix its checkpoints with an earlier run's.
    /// </summary>
    [OnEvent(Event.FitStart)]
    public void CheckFolder(State state)
    {
        string folder = FolderFor(state);
        RemoteFolder? remote = _store?.For(state);
        remote?.CheckAccess();
        if (state.Rank == 0) RemoveInterruptedWrites(folder);
        KeepOnlyFilesIn(folder, remote);
        if (_overwrite || state.Timestamp.Batch > 0 || state.Rank != 0) return;
        bool earlierRun = Directory.Exists(folder) && Directory.EnumerateFiles(folder).Any(f => !AtomicFile.IsTemporary(f));
        if (earlierRun || remote?.Names().Count > 0)
            throw new InvalidOperationException(
                $"The checkpoint folder \"{(earlierRun ? folder : remote!.Uri)}\" already holds files of an earlier run. Set Autoresume = true in the TrainerOptions to continue it, choose another folder, or pass overwrite: true.");
    }

    /// <summary>Saves after a batch when the interval (or the end of training) says so.</summary>
    [OnEvent(Event.BatchCheckpoint)]
    public void SaveAfterBatch(State state, Logger logger)
    {
        if (IsDue(state, Event.BatchCheckpoint)) SaveAndUpload(state, logger);
    }

    /// <summary>Saves after an epoch when the interval (or the end of training) says so.</summary>
    [OnEvent(Event.EpochCheckpoint)]
    public void SaveAfterEpoch(State state, Logger logger)
    {
        if (IsDue(state, Event.EpochCheckpoint)) SaveAndUpload(state, logger);
    }

    private void SaveAndUpload(State state, Logger logger)
    {
        // What was logged up to here becomes durable first: a run resumed from this checkpoint starts after it
        // and never logs those values again.
        logger.Persist();
        string path = Save(state);
        // As Composer's saver hands each checkpoint to the loggers that store files (W&B artifacts), as
        // "{run_name}/checkpoints/<file>".
        if (state.Rank == 0 && File.Exists(path))
            logger.UploadFile($"{state.RunName}/checkpoints/{Path.GetFileName(path)}", path);
    }

    /// <summary>Writes a checkpoint now, points the latest link at it and removes those beyond the number to keep.</summary>
    /// <returns>The checkpoint's path.</returns>
    public string Save(State state)
    {
        ArgumentNullException.ThrowIfNull(state);
        string folder = FolderFor(state);
        string name = Fill(Filename, state);
        string path = Path.Combine(folder, name);
        // Every rank takes part (the random states are gathered); rank 0 alone writes, as in Composer's DDP.
        Checkpoint.RankStates? rankStates = WeightsOnly ? null : Checkpoint.GatherRankStates(state, state.ShardsOptimizerState);
        if (state.Rank != 0)
        {
            _lastSavedBatch = state.Timestamp.Batch;
            return path;
        }
        Directory.CreateDirectory(folder);
        RemoteFolder? remote = _store?.For(state);
        KeepOnlyFilesIn(folder, remote);
        // The list is settled before writing, so the checkpoint's own copy of this callback's state names
        // exactly the files that stay; nothing is deleted until the new checkpoint is safely on disk.
        List<string> before = [.. _saved];
        _saved.Remove(name);
        _saved.Add(name);
        int drop = _numCheckpointsToKeep > 0 ? Math.Max(0, _saved.Count - _numCheckpointsToKeep) : 0;
        string[] rotatedOut = _saved.Take(drop).ToArray();
        _saved.RemoveRange(0, drop);
        try
        {
            Checkpoint.Save(state, path, WeightsOnly, rankStates);
        }
        catch
        {
            _saved.Clear();
            _saved.AddRange(before);
            throw;
        }
        _lastSavedBatch = state.Timestamp.Batch;
        string? latest = LatestFilename is null ? null : Fill(LatestFilename, state);
        if (latest is not null)
            AtomicFile.Point(Path.Combine(folder, latest), path);
        string[] delete = rotatedOut.Where(old => old != latest && IsOwnCheckpoint(old)).ToArray();
        foreach (string old in delete) File.Delete(Path.Combine(folder, old));
        remote?.Publish(path, name, latest, delete);
        return path;
    }

    /// <inheritdoc/>
    public void SaveState(StateDict state)
    {
        // File names, never paths: the folder may be copied or moved before the run resumes.
        state.Set("saved", _saved);
        state.Set("lastSavedBatch", _lastSavedBatch);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The list is taken by file name and checked against the folder at <see cref="Event.FitStart"/>: a run
    /// resumed in a copied or moved folder rotates the checkpoints that are there, and a name that is not
    /// there (a checkpoint loaded from another folder) is forgotten, never deleted elsewhere.
    /// </remarks>
    public void LoadState(StateDict state)
    {
        _saved.Clear();
        // Checkpoints written before names were kept hold absolute paths: their file name is what counts.
        foreach (string saved in state.GetStrings("saved"))
        {
            string name = Path.GetFileName(saved);
            if (!_saved.Contains(name)) _saved.Add(name);
        }
        _checkFolder = true;
        _lastSavedBatch = (long)state.GetNumber("lastSavedBatch");
    }

    /// <summary>
    /// Removes the temporary files of writes a crash interrupted: only files this saver's own patterns name (a
    /// checkpoint or the latest link, followed by <c>.tmp-</c> and the write's 32-digit id) in its own folder.
    /// </summary>
    private void RemoveInterruptedWrites(string folder)
    {
        if (!Directory.Exists(folder)) return;
        foreach (string path in Directory.EnumerateFiles(folder, "*" + AtomicFile.TemporaryMarker + "*"))
        {
            string name = Path.GetFileName(path);
            if (AtomicFile.TargetOfTemporary(name) is not { } target || !(IsOwnCheckpoint(target) || IsOwnLatest(target))) continue;
            File.Delete(path);
            Console.Error.WriteLine($"CheckpointSaver: removed {name} from {folder}, left by a checkpoint write that a crash interrupted.");
        }
    }

    private bool IsOwnLatest(string name) => _ownLatestName?.IsMatch(name) == true;

    // With an object store, a checkpoint kept there (the local folder may be gone) stays in the rotation.
    private void KeepOnlyFilesIn(string folder, RemoteFolder? remote)
    {
        if (!_checkFolder) return;
        _checkFolder = false;
        var stored = remote is null ? [] : remote.Names().ToHashSet(StringComparer.Ordinal);
        _saved.RemoveAll(name => !IsOwnCheckpoint(name) || !(IsRegularFile(Path.Combine(folder, name)) || stored.Contains(name)));
    }

    /// <summary>Only a plain file name that this saver's pattern could have written is ever deleted.</summary>
    private bool IsOwnCheckpoint(string name) =>
        name.Length > 0 && name == Path.GetFileName(name) && name is not ("." or "..") && _ownName.IsMatch(name);

    private static bool IsRegularFile(string path) => File.Exists(path) && new FileInfo(path).LinkTarget is null;

    // As Composer's saver: never twice at one batch (the end of an epoch can also be the end of training). This is
    // also what keeps the schedule's end-of-training rule from repeating a save, so the schedule is not told of saves.
    private bool IsDue(State state, Event trigger) =>
        _isDue(state, trigger) && state.Timestamp.Batch != _lastSavedBatch;

    /// <summary>A file-name pattern with the run name and the timestamp's counts filled in.</summary>
    internal static string Fill(string pattern, State state) => pattern
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

    // The pattern as a regular expression: literal text as it is, each placeholder as the values it takes.
    private static Regex NameMatcher(string pattern)
    {
        var expression = new System.Text.StringBuilder("^");
        int at = 0;
        foreach (Match token in Placeholder().Matches(pattern))
        {
            expression.Append(Regex.Escape(pattern[at..token.Index]));
            expression.Append(token.Value == "{run_name}" ? @"[^/\\]+" : @"[0-9]+");
            at = token.Index + token.Length;
        }
        expression.Append(Regex.Escape(pattern[at..])).Append('$');
        return new Regex(expression.ToString(), RegexOptions.CultureInvariant);
    }

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Placeholder();
}
