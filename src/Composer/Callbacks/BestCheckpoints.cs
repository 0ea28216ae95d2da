using Composer.Checkpoints;
using Composer.Core;
using Composer.Loggers;
using Composer.ObjectStores;

namespace Composer.Callbacks;

/// <summary>
/// Keeps the best <c>keep</c> checkpoints by an evaluation metric, as Lightning's <c>ModelCheckpoint(monitor=...,
/// save_top_k=...)</c> and the "checkpointing based on performance" of Composer's overview: after every evaluation the
/// monitored value (<c>"metrics/eval/Accuracy"</c>) is compared with the kept ones; a better one is written as a full
/// checkpoint, the worst beyond <c>keep</c> is deleted, and a <c>best</c> link points at the best. With
/// <c>loadBestAtEnd</c> the model ends training with the best weights (Hugging Face's <c>load_best_model_at_end</c>).
/// </summary>
/// <remarks>
/// Under several processes the metric is the same on every rank (evaluations are synchronized), so every rank makes the
/// same decision; rank 0 writes the files, and at the end rank 0 loads the best weights and broadcasts them. The
/// kept list is in the checkpoints this run's savers write, so a resumed run keeps comparing against it. A folder such as
/// <c>s3://bucket/run/best</c> is an object store, as for <see cref="CheckpointSaver"/>: each best checkpoint is written
/// locally, then uploaded in the background with its <c>best.ckpt.symlink</c> pointer, and those that drop out of the
/// best are deleted there too.
/// </remarks>
public sealed class BestCheckpoints : Callback, IStateful
{
    private readonly List<(double Value, string File)> _best = [];
    private readonly bool _maximize;
    private readonly RemoteStore? _store;

    /// <summary>Creates the callback.</summary>
    /// <param name="folder">Where the best checkpoints are written; may contain <c>{run_name}</c>.</param>
    /// <param name="monitor">The logged metric, <c>metrics/&lt;evaluator&gt;/&lt;metric&gt;</c>.</param>
    /// <param name="mode"><c>"max"</c> when higher is better (accuracy, F1), <c>"min"</c> when lower is (a loss).</param>
    /// <param name="keep">How many of the best to keep (Lightning's <c>save_top_k</c>).</param>
    /// <param name="loadBestAtEnd">Load the best checkpoint's weights into the model at <see cref="Event.FitEnd"/>.</param>
    /// <param name="filename">Each checkpoint's file name; <c>{epoch}</c> and <c>{batch}</c> are filled in.</param>
    /// <param name="bestFilename">The link to the best checkpoint.</param>
    /// <param name="localFolder">With an object store folder, where checkpoints are written before they are uploaded.</param>
    /// <param name="objectStore">With an object store folder, the store to use instead of the one its scheme names.</param>
    public BestCheckpoints(string folder, string monitor = "metrics/eval/Accuracy", string mode = "max", int keep = 1,
        bool loadBestAtEnd = false, string filename = "best-ep{epoch}-ba{batch}.ckpt", string bestFilename = "best.ckpt",
        string? localFolder = null, ObjectStore? objectStore = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        _store = RemoteStore.Open(folder, localFolder, objectStore, nameof(BestCheckpoints));
        string[] parts = monitor?.Split('/') ?? [];
        if (parts is not ["metrics", { Length: > 0 }, { Length: > 0 }])
            throw new ArgumentException($"monitor is a logged evaluation metric, 'metrics/<evaluator>/<metric>' such as 'metrics/eval/Accuracy', not '{monitor}'.", nameof(monitor));
        _maximize = mode switch
        {
            "max" => true,
            "min" => false,
            _ => throw new ArgumentException($"mode is \"max\" (higher is better) or \"min\" (lower is better), not \"{mode}\".", nameof(mode)),
        };
        if (keep < 1) throw new ArgumentOutOfRangeException(nameof(keep), keep, "Keep at least 1 checkpoint.");
        if (!filename.Contains("{batch}", StringComparison.Ordinal))
            throw new ArgumentException($"filename must contain {{batch}}, so that each evaluation's checkpoint has a name of its own; \"{filename}\" does not.", nameof(filename));
        if (filename.IndexOfAny(['/', '\\']) >= 0 || bestFilename.IndexOfAny(['/', '\\']) >= 0)
            throw new ArgumentException("filename and bestFilename are file names; put folders in the folder argument.", nameof(filename));
        Folder = folder;
        Monitor = monitor!;
        Label = parts[1];
        MetricName = parts[2];
        Keep = keep;
        LoadBestAtEnd = loadBestAtEnd;
        Filename = filename;
        BestFilename = bestFilename;
    }

    /// <summary>The folder pattern: a local folder, or an object store URI such as <c>s3://bucket/run/best</c>.</summary>
    public string Folder { get; }

    /// <summary>The monitored metric's logged name.</summary>
    public string Monitor { get; }

    /// <summary>How many of the best are kept.</summary>
    public int Keep { get; }

    /// <summary>Whether the best weights are loaded at the end of training (also set by <see cref="TrainerOptions.LoadBestModelAtEnd"/>).</summary>
    public bool LoadBestAtEnd { get; internal set; }

    /// <summary>The file-name pattern.</summary>
    public string Filename { get; }

    /// <summary>The name of the link to the best checkpoint.</summary>
    public string BestFilename { get; }

    private string Label { get; }

    private string MetricName { get; }

    /// <summary>The kept checkpoints, best first: the monitored value and the file name in the folder.</summary>
    public IReadOnlyList<(double Value, string File)> Best => _best;

    /// <summary>The local folder the checkpoints are written to, with <c>{run_name}</c> filled in.</summary>
    public string FolderFor(State state) =>
        _store?.LocalFolderFor(state) ?? ObjectStoreUri.LocalPath(Folder.Replace("{run_name}", state.RunName, StringComparison.Ordinal));

    /// <summary>With an object store folder: checks before training that the bucket exists and the credentials are accepted.</summary>
    [OnEvent(Event.FitStart)]
    public void CheckAccess(State state) => _store?.For(state).CheckAccess();

    /// <summary>The best checkpoint's path; null before any evaluation.</summary>
    public string? BestCheckpoint(State state) => _best.Count == 0 ? null : Path.Combine(FolderFor(state), _best[0].File);

    /// <summary>After every due evaluator has run: keeps this evaluation's checkpoint if it is among the best.</summary>
    /// <exception cref="InvalidOperationException">The monitored metric was not logged; the message lists those that were.</exception>
    [OnEvent(Event.EvalAfterAll)]
    public void Consider(State state, Logger logger)
    {
        if (!state.EvalMetrics.TryGetValue(Label, out var metrics) || !metrics.TryGetValue(MetricName, out var metric))
        {
            string logged = string.Join(", ", state.EvalMetrics.SelectMany(e => e.Value.Keys.Select(k => $"metrics/{e.Key}/{k}")));
            throw new InvalidOperationException(
                $"BestCheckpoints monitors '{Monitor}', which the evaluation did not log; it logged: {logged}. Pass one of those as monitor.");
        }
        double value = metric.Compute();
        if (double.IsNaN(value) || (_best.Count >= Keep && !Better(value, _best[^1].Value))) return;

        // Every rank takes part in gathering the random states; rank 0 alone writes, as CheckpointSaver does.
        logger.Persist();
        Checkpoint.RankStates rankStates = Checkpoint.GatherRankStates(state, state.ShardsOptimizerState);
        string file = CheckpointSaver.Fill(Filename, state);
        // The same batch evaluated again (a resumed run's first evaluation) replaces its earlier entry.
        _best.RemoveAll(b => b.File == file);
        int at = _best.FindIndex(b => Better(value, b.Value));
        _best.Insert(at < 0 ? _best.Count : at, (value, file));
        List<string> dropped = [.. _best.Skip(Keep).Select(b => b.File)];
        if (_best.Count > Keep) _best.RemoveRange(Keep, _best.Count - Keep);
        if (state.Rank != 0) return;

        string folder = FolderFor(state);
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, file);
        Checkpoint.Save(state, path, weightsOnly: false, rankStates);
        AtomicFile.Point(Path.Combine(folder, BestFilename), Path.Combine(folder, _best[0].File));
        string[] delete = dropped.Where(old => old != file).ToArray();
        foreach (string old in delete)
            if (File.Exists(Path.Combine(folder, old))) File.Delete(Path.Combine(folder, old));
        // The pointer names the best, which is this checkpoint or one uploaded before it.
        _store?.For(state).Publish(path, file, BestFilename, delete, pointerTarget: _best[0].File);
    }

    /// <summary>
    /// Waits for the uploads to an object store (throwing if any failed), then with <c>loadBestAtEnd</c> the model takes
    /// the best checkpoint's weights (rank 0 reads, all ranks get them).
    /// </summary>
    [OnEvent(Event.FitEnd)]
    public void LoadBest(State state)
    {
        _store?.WaitForAll();
        if (!LoadBestAtEnd || _best.Count == 0) return;
        if (state.Rank == 0)
        {
            string best = BestCheckpoint(state)!;
            // A run resumed where its local folder is gone has the best checkpoint in the store only.
            if (!File.Exists(best) && _store?.For(state) is { } remote) remote.Download(_best[0].File, best);
            Checkpoint.Read(best).LoadModel(state.Model);
        }
        state.Replicas?.BroadcastWeights();
    }

    /// <inheritdoc/>
    public void SaveState(StateDict state)
    {
        state.Set("count", _best.Count);
        for (int i = 0; i < _best.Count; i++) state.Set($"value.{i}", _best[i].Value);
        state.Set("files", _best.Select(b => b.File));
    }

    /// <inheritdoc/>
    public void LoadState(StateDict state)
    {
        _best.Clear();
        IReadOnlyList<string> files = state.GetStrings("files");
        for (int i = 0; i < (int)state.GetNumber("count"); i++) _best.Add((state.GetNumber($"value.{i}"), files[i]));
    }

    private bool Better(double value, double than) => _maximize ? value > than : value < than;
}
