using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Composer.Core;
using Composer.Loggers.WandB.Records;
using YamlDotNet.Serialization;

namespace Composer.Loggers.WandB;

/// <summary>
/// Logs to Weights &amp; Biases as Composer's <c>WandBLogger</c> does, by writing the run in W&amp;B's own offline run
/// format (what the official client writes with <c>WANDB_MODE=offline</c>): <c>wandb sync</c> uploads it, and in
/// online mode this logger runs <c>wandb sync</c> itself in the background.
/// </summary>
/// <remarks>
/// <para>The run holds the config (the trainer's hyperparameters and <c>config</c> from <c>initKwargs</c>), a history row
/// per batch with <c>_step</c> (the batch), <c>_runtime</c> and <c>_timestamp</c>, the summary of last values, the console
/// output, images and tables as W&amp;B media files, checkpoints as <c>model</c> artifacts with <c>logArtifacts</c>,
/// and an exit record at <see cref="Event.FitEnd"/>.</para>
/// <para>The run id is kept in checkpoints, so a run resumed with <see cref="TrainerOptions.Autoresume"/> continues
/// the same W&amp;B run (a new folder marked resumed, which <c>wandb sync</c> appends to it). No API key is read or
/// stored here: <c>wandb sync</c> uses the W&amp;B client's own login.</para>
/// </remarks>
public sealed partial class WandBLogger : LoggerDestination, IStateful, IDisposable
{
    private static readonly string[] KnownInitKwargs = ["config", "notes", "job_type", "dir", "id", "resume", "mode"];

    private readonly IReadOnlyDictionary<string, object> _initKwargs;
    private readonly Dictionary<string, object> _config = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _summary = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _row = new(StringComparer.Ordinal);
    private readonly bool _rankZeroOnly;
    private WandBRun? _run;
    private ConsoleCapture? _console;
    private WandBSync? _sync;
    private string? _runId;
    private bool _resumed;
    private long _rowStep = -1;
    private long _lastStep = -1;
    private bool _warnedBackwards;

    /// <summary>Creates the logger; the run starts at <see cref="Event.FitStart"/>.</summary>
    /// <param name="project">The W&amp;B project; <c>"uncategorized"</c> when null, as W&amp;B does.</param>
    /// <param name="group">Groups runs (for example the ranks of one job, or a sweep).</param>
    /// <param name="name">The run's display name; the trainer's run name when null.</param>
    /// <param name="entity">The user or team the run belongs to; W&amp;B's default entity when null.</param>
    /// <param name="tags">Tags on the run.</param>
    /// <param name="logArtifacts">Record every checkpoint the <see cref="Callbacks.CheckpointSaver"/> writes as a <c>model</c> artifact.</param>
    /// <param name="rankZeroOnly">With several processes, only rank 0 logs (the default, as Composer's).</param>
    /// <param name="initKwargs">
    /// What Composer passes to <c>wandb.init</c>: <c>config</c> (a dictionary), <c>notes</c>, <c>job_type</c>, <c>dir</c>
    /// (where the <c>wandb</c> folder goes; the working directory by default), <c>id</c> (the run id), <c>resume</c>
    /// and <c>mode</c> (<c>"offline"</c>, <c>"online"</c> or <c>"disabled"</c>).
    /// </param>
    public WandBLogger(string? project = null, string? group = null, string? name = null, string? entity = null,
        IReadOnlyList<string>? tags = null, bool logArtifacts = false, bool rankZeroOnly = true,
        IReadOnlyDictionary<string, object>? initKwargs = null)
    {
        _initKwargs = initKwargs ?? new Dictionary<string, object>();
        string[] unknown = _initKwargs.Keys.Except(KnownInitKwargs, StringComparer.Ordinal).ToArray();
        if (unknown.Length > 0)
            throw new ArgumentException($"Unknown initKwargs {string.Join(", ", unknown)}; this logger takes {string.Join(", ", KnownInitKwargs)}.", nameof(initKwargs));
        Mode = (Init("mode") ?? Environment.GetEnvironmentVariable("WANDB_MODE") ?? (WandBSync.CommandOnPath() is null ? "offline" : "online")) switch
        {
            "offline" or "dryrun" => "offline",
            "online" or "run" => "online",
            "disabled" => "disabled",
            var other => throw new ArgumentException($"W&B mode \"{other}\" is not one of offline, online, disabled.", nameof(initKwargs)),
        };
        Project = project ?? Environment.GetEnvironmentVariable("WANDB_PROJECT") ?? "uncategorized";
        Group = group;
        Name = name;
        Entity = entity ?? Environment.GetEnvironmentVariable("WANDB_ENTITY");
        Tags = tags ?? [];
        LogArtifacts = logArtifacts;
        _rankZeroOnly = rankZeroOnly;
        _runId = Init("id");
        if (_runId is not null && !RunIdPattern().IsMatch(_runId))
            throw new ArgumentException($"A W&B run id is letters, digits, - and _; \"{_runId}\" is not.", nameof(initKwargs));
        // wandb.init(id=..., resume="must") continues an existing run; the run record says so.
        _resumed = _runId is not null && Init("resume") is "must";
        if (_initKwargs.TryGetValue("config", out object? config))
        {
            if (config is not IEnumerable<KeyValuePair<string, object>> pairs)
                throw new ArgumentException("initKwargs[\"config\"] is a dictionary of names to values.", nameof(initKwargs));
            foreach ((string key, object value) in pairs) _config[key] = value;
        }
    }

    /// <summary>The project.</summary>
    public string Project { get; }

    /// <summary>The group, if any.</summary>
    public string? Group { get; }

    /// <summary>The display name given; the run name when null.</summary>
    public string? Name { get; }

    /// <summary>The entity, if any.</summary>
    public string? Entity { get; }

    /// <summary>The tags.</summary>
    public IReadOnlyList<string> Tags { get; }

    /// <summary>True when checkpoints become artifacts.</summary>
    public bool LogArtifacts { get; }

    /// <summary><c>"offline"</c>, <c>"online"</c> (synced in the background) or <c>"disabled"</c>.</summary>
    public string Mode { get; }

    /// <inheritdoc/>
    public override bool RankZeroOnly => _rankZeroOnly;

    /// <summary>The run's id once it started (or was restored from a checkpoint).</summary>
    public string? RunId => _runId;

    /// <summary>The run's folder once it started: what <c>wandb sync</c> uploads.</summary>
    public string? RunFolder { get; private set; }

    /// <summary>Starts the run (or continues a resumed one) before the first batch.</summary>
    [OnEvent(Event.FitStart)]
    public void StartRun(State state) => EnsureStarted(state);

    /// <summary>Writes the last row, the summary and the exit record, and syncs in online mode.</summary>
    [OnEvent(Event.FitEnd)]
    public void FinishRun(State state) => Finish(exitCode: 0);

    /// <inheritdoc/>
    public override void LogHyperparameters(IReadOnlyDictionary<string, object> hyperparameters)
    {
        ArgumentNullException.ThrowIfNull(hyperparameters);
        foreach ((string key, object value) in hyperparameters) _config[key] = value;
        if (_run is null) return;
        var config = new ConfigRecord();
        foreach ((string key, object value) in hyperparameters)
            config.Update.Add(new ConfigItem { Key = key, ValueJson = WandBRun.Json(value) });
        _run.Write(new Record { Config = config });
        WriteConfigYaml();
    }

    /// <inheritdoc/>
    public override void LogMetrics(Timestamp timestamp, IReadOnlyDictionary<string, double> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        foreach ((string key, double value) in metrics)
            AddToRow(timestamp.Batch, key, WandBRun.Json(value));
    }

    /// <inheritdoc/>
    public override void LogImages(Timestamp timestamp, string name, IReadOnlyList<LoggedImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (_run is null || images.Count == 0) return;
        if (images.Count == 1)
        {
            AddToRow(timestamp.Batch, name, JsonSerializer.Serialize(SaveImage(name, timestamp.Batch, images[0])));
            return;
        }
        // Several images under one key, as W&B's "images/separated".
        var files = images.Select(i => SaveImage(name, timestamp.Batch, i)).ToList();
        AddToRow(timestamp.Batch, name, JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["_type"] = "images/separated",
            ["width"] = images[0].Width,
            ["height"] = images[0].Height,
            ["format"] = "png",
            ["count"] = images.Count,
            ["filenames"] = files.Select(f => f["path"]).ToList(),
            ["captions"] = images.Any(i => i.Caption is not null) ? images.Select(i => i.Caption ?? "").ToList() : null,
        }));
    }

    /// <inheritdoc/>
    public override void LogTable(Timestamp timestamp, string name, IReadOnlyList<string> columns, IReadOnlyList<IReadOnlyList<object>> rows)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(rows);
        if (_run is null) return;
        // W&B's table-file: {"columns": [...], "data": [[...]]}, images as image-file references to their own files.
        var data = rows.Select(row => row.Select(cell => cell switch
        {
            LoggedImage image => (object)SaveImage(name, timestamp.Batch, image),
            _ => cell,
        }).ToList()).ToList();
        byte[] table = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["columns"] = columns, ["data"] = data });
        string hash = Convert.ToHexString(SHA256.HashData(table)).ToLowerInvariant();
        string path = $"media/table/{Safe(name)}_{timestamp.Batch}_{hash[..20]}.table.json";
        _run.WriteFile(path, table, FilesItem.Types.FileType.Media);
        AddToRow(timestamp.Batch, name, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["_type"] = "table-file",
            ["path"] = path,
            ["sha256"] = hash,
            ["size"] = table.Length,
            ["ncols"] = columns.Count,
            ["nrows"] = rows.Count,
            ["log_mode"] = "IMMUTABLE",
        }));
    }

    /// <summary>
    /// With <c>logArtifacts</c>: records the file as an artifact, as Composer does: its name the file's name with
    /// characters W&amp;B refuses replaced by periods, its type <c>model</c> for checkpoints (else the extension), the
    /// aliases <c>latest</c> and <c>ep{epoch}-ba{batch}</c>, the timestamp as metadata. The file is staged in the run
    /// folder, so rotation cannot remove it before <c>wandb sync</c> uploads it.
    /// </summary>
    public override void UploadFile(State state, string remoteName, string path)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!LogArtifacts || _run is null) return;
        string name = ArtifactCharacters().Replace(remoteName, ".");
        string extension = Path.GetExtension(path).TrimStart('.');
        string type = extension is "ckpt" or "pt" or "" ? "model" : extension;
        string staged = Path.Combine(_run.Folder, "artifacts", name, Path.GetFileName(path));
        Directory.CreateDirectory(Path.GetDirectoryName(staged)!);
        File.Copy(path, staged, overwrite: true);
        byte[] bytes = File.ReadAllBytes(staged);
        string entryDigest = Convert.ToBase64String(MD5.HashData(bytes));
        var entry = new ArtifactManifestEntry
        {
            Path = Path.GetFileName(path),
            Digest = entryDigest,
            Size = bytes.LongLength,
            LocalPath = Path.GetFullPath(staged),
        };
        Timestamp t = state.Timestamp;
        _run.Write(new Record
        {
            Artifact = new ArtifactRecord
            {
                RunId = _run.Id,
                Project = Project,
                Entity = Entity ?? "",
                Type = type,
                Name = name,
                Digest = ManifestDigest([(entry.Path, entry.Digest)]),
                Metadata = JsonSerializer.Serialize(new Dictionary<string, long>
                {
                    ["timestamp/epoch"] = t.Epoch, ["timestamp/batch"] = t.Batch, ["timestamp/sample"] = t.Sample, ["timestamp/token"] = t.Token,
                }),
                Aliases = { "latest", $"ep{t.Epoch}-ba{t.Batch}" },
                Finalize = true,
                Manifest = new ArtifactManifest
                {
                    Version = 1,
                    StoragePolicy = "wandb-storage-policy-v1",
                    StoragePolicyConfig = { new StoragePolicyConfigItem { Key = "storageLayout", ValueJson = "\"V2\"" } },
                    Contents = { entry },
                },
            },
        });
    }

    /// <summary>
    /// W&amp;B's manifest digest (<c>artifact_manifest_v1.py</c>): the MD5, in hex, of <c>"wandb-artifact-manifest-v1\n"</c>
    /// followed by <c>"path:digest\n"</c> for every entry in path order.
    /// </summary>
    public static string ManifestDigest(IEnumerable<(string Path, string Digest)> entries)
    {
        var text = new StringBuilder("wandb-artifact-manifest-v1\n");
        foreach ((string path, string digest) in entries.OrderBy(e => e.Path, StringComparer.Ordinal))
            text.Append(path).Append(':').Append(digest).Append('\n');
        return Convert.ToHexString(MD5.HashData(Encoding.UTF8.GetBytes(text.ToString()))).ToLowerInvariant();
    }

    /// <summary>
    /// Syncs the run's log to disk: every history row before the current step is in it. The current step's row may
    /// still grow (an evaluation at the end of the epoch logs at the same step), so it is kept in this logger's
    /// checkpointed state instead, and a run resumed from the checkpoint writes it.
    /// </summary>
    public override void Persist() => _run?.Flush();

    /// <inheritdoc/>
    /// <remarks>The run id, and the history row still open at the checkpoint's step (its keys and JSON values).</remarks>
    public void SaveState(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Set("runId", _runId is null ? [] : [_runId]);
        state.Set("rowStep", _rowStep);
        state.Set("lastStep", _lastStep);
        state.Set("rowKeys", _row.Keys);
        state.Set("rowValues", _row.Values);
    }

    /// <inheritdoc/>
    public void LoadState(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.GetStrings("runId") is [var id] && Init("id") is null)
        {
            _runId = id;
            _resumed = true;
        }
        // Checkpoints written before the open row was kept have none.
        if (!state.Contains("rowStep")) return;
        _rowStep = (long)state.GetNumber("rowStep");
        _lastStep = (long)state.GetNumber("lastStep");
        _row.Clear();
        IReadOnlyList<string> keys = state.GetStrings("rowKeys"), values = state.GetStrings("rowValues");
        for (int i = 0; i < keys.Count; i++) _row[keys[i]] = values[i];
    }

    /// <summary>Closes a run that is still open (a run that ended in an exception gets exit code 1).</summary>
    public void Dispose() => Finish(exitCode: 1);

    private void EnsureStarted(State state)
    {
        // Its events run on every rank; with rankZeroOnly only rank 0's logger writes a run.
        if (_run is not null || Mode == "disabled" || (_rankZeroOnly && state.Rank != 0)) return;
        _runId ??= NewRunId();
        string directory = Init("dir") ?? Directory.GetCurrentDirectory();
        _run = new WandBRun(directory, _runId, DateTime.UtcNow);
        RunFolder = _run.Folder;
        _run.Write(new Record { Header = new HeaderRecord { VersionInfo = new VersionInfo { Producer = $"Composer.NET {typeof(WandBLogger).Assembly.GetName().Version}", MinConsumer = "0.10.0" } } });
        var run = new RunRecord
        {
            RunId = _runId,
            Project = Project,
            Entity = Entity ?? "",
            RunGroup = Group ?? "",
            JobType = Init("job_type") ?? "",
            DisplayName = Name ?? state.RunName,
            Notes = Init("notes") ?? "",
            Tags = { Tags },
            Host = Environment.MachineName,
            StartTime = WandBRun.Now(),
            Resumed = _resumed,
            StartingStep = _resumed ? state.Timestamp.Batch : 0,
            Config = new ConfigRecord(),
        };
        foreach ((string key, object value) in _config)
            run.Config.Update.Add(new ConfigItem { Key = key, ValueJson = WandBRun.Json(value) });
        _run.Write(new Record { Run = run });
        WriteConfigYaml();
        _run.WriteFile("wandb-metadata.json", JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
        {
            ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            ["program"] = Environment.ProcessPath,
            ["args"] = Environment.GetCommandLineArgs().Skip(1).ToArray(),
            ["host"] = Environment.MachineName,
            ["startedAt"] = _run.StartedUtc.ToString("O"),
            ["executable"] = Environment.ProcessPath,
            ["runtime"] = $".NET {Environment.Version}",
            ["cpu_count"] = Environment.ProcessorCount,
        }, new JsonSerializerOptions { WriteIndented = true }), FilesItem.Types.FileType.Wandb);
        _console = new ConsoleCapture(_run);
        _sync = new WandBSync(_run.Folder, Mode == "online");
    }

    private void AddToRow(long step, string key, string valueJson)
    {
        if (_run is null) return;
        if (step < _lastStep || (step < _rowStep))
        {
            if (!_warnedBackwards)
                Console.Error.WriteLine($"W&B: {key} logged at step {step}, after step {Math.Max(_lastStep, _rowStep)}; W&B keeps steps increasing, so it is left out.");
            _warnedBackwards = true;
            return;
        }
        if (step != _rowStep) WriteRow();
        _rowStep = step;
        _row[key] = valueJson;
    }

    // One history row per step: the values, then _step, _runtime and _timestamp, as W&B's handler adds them.
    private void WriteRow()
    {
        if (_run is null || _row.Count == 0) return;
        var history = new HistoryRecord { Step = new HistoryStep { Num = _rowStep } };
        foreach ((string key, string value) in _row)
        {
            history.Item.Add(new HistoryItem { Key = key, ValueJson = value });
            _summary[key] = value;
        }
        (string Key, string Value)[] stamps =
        [
            ("_step", WandBRun.Json(_rowStep)),
            ("_runtime", WandBRun.Json(_run.Runtime)),
            ("_timestamp", WandBRun.Json(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0)),
        ];
        foreach ((string key, string value) in stamps)
        {
            history.Item.Add(new HistoryItem { Key = key, ValueJson = value });
            _summary[key] = value;
        }
        _run.Write(new Record { History = history });
        _lastStep = _rowStep;
        _row.Clear();
    }

    private void Finish(int exitCode)
    {
        if (_run is null) return;
        WriteRow();
        var summary = new SummaryRecord();
        foreach ((string key, string value) in _summary)
            summary.Update.Add(new SummaryItem { Key = key, ValueJson = value });
        _run.Write(new Record { Summary = summary });
        _run.WriteFile("wandb-summary.json", Encoding.UTF8.GetBytes("{" + string.Join(", ", _summary.Select(p => $"{JsonSerializer.Serialize(p.Key)}: {p.Value}")) + "}"),
            FilesItem.Types.FileType.Wandb, FilesItem.Types.PolicyType.End);
        _console?.Dispose();
        _console = null;
        _run.RecordFile("output.log", FilesItem.Types.FileType.Wandb, FilesItem.Types.PolicyType.End);
        _run.Write(new Record { Exit = new RunExitRecord { ExitCode = exitCode, Runtime = (int)_run.Runtime } });
        _run.Write(new Record { Final = new FinalRecord() });
        _run.Dispose();
        _run = null;
        _sync?.Finish();
        _sync = null;
    }

    private Dictionary<string, object> SaveImage(string key, long step, LoggedImage image)
    {
        byte[] png = Png.Encode(image);
        string hash = Convert.ToHexString(SHA256.HashData(png)).ToLowerInvariant();
        string path = $"media/images/{Safe(key)}_{step}_{hash[..20]}.png";
        _run!.WriteFile(path, png, FilesItem.Types.FileType.Media);
        var json = new Dictionary<string, object>
        {
            ["_type"] = "image-file", ["path"] = path, ["sha256"] = hash, ["size"] = png.Length,
            ["width"] = image.Width, ["height"] = image.Height, ["format"] = "png",
        };
        if (image.Caption is not null) json["caption"] = image.Caption;
        return json;
    }

    // W&B's config.yaml: "wandb_version: 1", then every key with its desc and value.
    private void WriteConfigYaml()
    {
        var document = new Dictionary<string, object?> { ["wandb_version"] = 1 };
        foreach ((string key, object value) in _config)
            document[key] = new Dictionary<string, object?> { ["desc"] = null, ["value"] = value };
        string yaml = new SerializerBuilder().Build().Serialize(document);
        _run!.WriteFile("config.yaml", Encoding.UTF8.GetBytes(yaml), FilesItem.Types.FileType.Wandb);
    }

    private string? Init(string key) => _initKwargs.TryGetValue(key, out object? value) ? value?.ToString() : null;

    private static string NewRunId()
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        return string.Create(8, 0, (span, _) =>
        {
            for (int i = 0; i < span.Length; i++) span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        });
    }

    private static string Safe(string key) => ArtifactCharacters().Replace(key, "_");

    [GeneratedRegex(@"[^a-zA-Z0-9\-_\.]")]
    private static partial Regex ArtifactCharacters();

    [GeneratedRegex(@"^[A-Za-z0-9_\-]+$")]
    private static partial Regex RunIdPattern();
}
