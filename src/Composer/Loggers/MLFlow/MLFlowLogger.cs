using System.Globalization;
using System.Text.RegularExpressions;
using Composer.Core;
using Composer.ObjectStores;

namespace Composer.Loggers.MLFlow;

/// <summary>
/// Logs to MLflow, as <c>composer.loggers.MLFlowLogger</c>: one MLflow run per Composer run in the experiment
/// <c>experimentName</c>, with metrics at the step of the batch, hyperparameters as params, Composer's
/// <c>run_name</c> tag and yours, the run <c>FINISHED</c> at <see cref="Event.FitEnd"/>. The tracking URI is a folder
/// (MLflow's file store, <c>mlruns</c> by default, which <c>mlflow ui</c> reads) or an <c>http(s)://</c> tracking
/// server (its REST API, called from a background queue so the loop does not wait).
/// </summary>
/// <remarks>
/// As Composer's: a metric equal to its last logged value is skipped until <c>logDuplicatedMetricEveryNSteps</c> steps
/// have passed; <c>ignoreMetrics</c> and <c>ignoreHyperparameters</c> take glob patterns (<c>*</c>, <c>?</c>);
/// <c>renameMetrics</c> maps names. Checkpoints and other uploaded files become artifacts with
/// <c>logArtifacts</c>. Defaults come from <c>MLFLOW_TRACKING_URI</c> and <c>MLFLOW_EXPERIMENT_NAME</c> as in MLflow.
/// A server that fails is reported on stderr and training goes on. Images are not logged (MLflow's image format
/// belongs to its Python client).
/// </remarks>
public sealed class MLFlowLogger : LoggerDestination, IDisposable
{
    /// <summary>Composer's default experiment name.</summary>
    public const string DefaultExperimentName = "my-mlflow-experiment";

    private readonly Dictionary<string, string> _tags;
    private readonly IReadOnlyDictionary<string, string> _rename;
    private readonly Regex[] _ignoreMetrics;
    private readonly Regex[] _ignoreHyperparameters;
    private readonly int _duplicateEvery;
    private readonly bool _rankZeroOnly;
    private readonly bool _logArtifacts;
    private readonly Dictionary<string, (double Value, long Step)> _cache = new(StringComparer.Ordinal);
    private readonly List<(string Key, double Value, long Timestamp, long Step)> _metrics = [];
    private IMLflowStore? _store;
    private UploadQueue? _queue;
    private string? _runName;

    /// <summary>Creates the logger.</summary>
    /// <param name="experimentName">The experiment; <c>MLFLOW_EXPERIMENT_NAME</c> or <c>my-mlflow-experiment</c> by default.</param>
    /// <param name="runName">The MLflow run's name; the Composer run's by default.</param>
    /// <param name="tags">Tags for the run.</param>
    /// <param name="trackingUri">A folder (file store) or an <c>http(s)://</c> server; <c>MLFLOW_TRACKING_URI</c> or <c>mlruns</c> by default.</param>
    /// <param name="rankZeroOnly">Only rank 0 logs (otherwise each rank has a run named <c>&lt;run&gt;-rank&lt;r&gt;</c>).</param>
    /// <param name="renameMetrics">Logged name to MLflow name.</param>
    /// <param name="ignoreMetrics">Glob patterns of metrics not to log.</param>
    /// <param name="ignoreHyperparameters">Glob patterns of hyperparameters not to log.</param>
    /// <param name="logDuplicatedMetricEveryNSteps">How many steps an unchanged value is skipped for.</param>
    /// <param name="logArtifacts">Store uploaded files (checkpoints) as the run's artifacts.</param>
    public MLFlowLogger(string? experimentName = null, string? runName = null, IReadOnlyDictionary<string, string>? tags = null,
        string? trackingUri = null, bool rankZeroOnly = true, IReadOnlyDictionary<string, string>? renameMetrics = null,
        IReadOnlyList<string>? ignoreMetrics = null, IReadOnlyList<string>? ignoreHyperparameters = null,
        int logDuplicatedMetricEveryNSteps = 100, bool logArtifacts = false)
    {
        ExperimentName = experimentName ?? Environment.GetEnvironmentVariable("MLFLOW_EXPERIMENT_NAME") ?? DefaultExperimentName;
        _runName = runName;
        _tags = tags is null ? new(StringComparer.Ordinal) : new(tags, StringComparer.Ordinal);
        TrackingUri = trackingUri ?? Environment.GetEnvironmentVariable("MLFLOW_TRACKING_URI") ?? "mlruns";
        _rankZeroOnly = rankZeroOnly;
        _rename = renameMetrics ?? new Dictionary<string, string>();
        _ignoreMetrics = (ignoreMetrics ?? []).Select(Glob).ToArray();
        _ignoreHyperparameters = (ignoreHyperparameters ?? []).Select(Glob).ToArray();
        _duplicateEvery = logDuplicatedMetricEveryNSteps;
        _logArtifacts = logArtifacts;
    }

    /// <summary>The experiment's name.</summary>
    public string ExperimentName { get; }

    /// <summary>The folder or server.</summary>
    public string TrackingUri { get; }

    /// <summary>The experiment's id once the run started.</summary>
    public string? ExperimentId { get; private set; }

    /// <summary>The MLflow run's id once it started.</summary>
    public string? RunId { get; private set; }

    /// <inheritdoc/>
    public override bool RankZeroOnly => _rankZeroOnly;

    /// <summary>Starts the MLflow run (finds or creates the experiment).</summary>
    [OnEvent(Event.Init)]
    public void StartRun(State state)
    {
        // With rankZeroOnly the other ranks' copies start no run (their handlers still run: they are members).
        if (_rankZeroOnly && state.Rank != 0) return;
        _runName ??= state.RunName;
        if (!_rankZeroOnly) _runName += $"-rank{state.Rank}";
        _tags["run_name"] = state.RunName;
        _tags["mlflow.runName"] = _runName;
        _tags["mlflow.user"] = Environment.UserName;
        _tags["mlflow.source.name"] = Environment.ProcessPath is { } process ? Path.GetFileName(process) : "dotnet";
        _tags["mlflow.source.type"] = "LOCAL";
        if (TrackingUri.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || TrackingUri.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            _store = new MLflowRestStore(new Uri(TrackingUri));
            _queue = new UploadQueue(nameof(MLFlowLogger), capacity: 16);
        }
        else
        {
            _store = new MLflowFileStore(ObjectStoreUri.LocalPath(TrackingUri));
        }
        ExperimentId = _store.ExperimentId(ExperimentName);
        RunId = _store.CreateRun(ExperimentId, _runName, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), _tags);
    }

    /// <summary>Logs the MLflow ids as hyperparameters, as Composer does.</summary>
    [OnEvent(Event.AfterLoad)]
    public void LogIds(State state, Logger logger)
    {
        if (RunId is null) return;
        logger.LogHyperparameters(new Dictionary<string, object> { ["mlflow_experiment_id"] = ExperimentId!, ["mlflow_run_id"] = RunId });
    }

    /// <inheritdoc/>
    public override void LogMetrics(Timestamp timestamp, IReadOnlyDictionary<string, double> metrics)
    {
        if (RunId is null) return;
        long step = timestamp.Batch, now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        _metrics.Clear();
        foreach ((string key, double value) in metrics)
        {
            if (_ignoreMetrics.Any(pattern => pattern.IsMatch(key))) continue;
            // Composer's cache: an unchanged value is not logged again within the window.
            if (_cache.TryGetValue(key, out var last) && last.Value.Equals(value) && step < last.Step + _duplicateEvery) continue;
            _cache[key] = (value, step);
            _metrics.Add((_rename.GetValueOrDefault(key, key), value, now, step));
        }
        if (_metrics.Count > 0) Send("log metrics", [.. _metrics], [], []);
    }

    /// <inheritdoc/>
    public override void LogHyperparameters(IReadOnlyDictionary<string, object> hyperparameters)
    {
        if (RunId is null) return;
        var parameters = hyperparameters.Where(h => !_ignoreHyperparameters.Any(p => p.IsMatch(h.Key)))
            .Select(h => (h.Key, Convert.ToString(h.Value, CultureInfo.InvariantCulture) ?? "")).ToList();
        if (parameters.Count > 0) Send("log params", [], parameters, []);
    }

    /// <inheritdoc/>
    public override void UploadFile(State state, string remoteName, string path)
    {
        if (!_logArtifacts || RunId is null || _store is null) return;
        string runId = RunId;
        Run($"log artifact {remoteName}", () => _store.LogArtifact(runId, remoteName, path));
    }

    /// <inheritdoc/>
    public override void Persist()
    {
        _queue?.WaitForAll();
        _store?.Flush();
    }

    /// <summary>Marks the run <c>FINISHED</c> after what was queued has been sent.</summary>
    [OnEvent(Event.FitEnd)]
    public void FinishRun(State state)
    {
        if (RunId is null || _store is null) return;
        string runId = RunId;
        Run("finish the run", () => _store.Terminate(runId, "FINISHED", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        try
        {
            _queue?.WaitForAll();
        }
        catch (ObjectStoreException e)
        {
            // Already printed when each failed: the run trained; its tracking record is incomplete.
            Console.Error.WriteLine($"MLFlowLogger: {e.Message}");
        }
        _store.Flush();
    }

    /// <inheritdoc/>
    public void Dispose() => (_store as IDisposable)?.Dispose();

    private void Send(string what, IReadOnlyList<(string, double, long, long)> metrics, IReadOnlyList<(string, string)> parameters, IReadOnlyList<(string, string)> tags)
    {
        string runId = RunId!;
        Run(what, () => _store!.LogBatch(runId, metrics, parameters, tags));
    }

    // The file store writes now; a server's calls go through the queue.
    private void Run(string what, Action call)
    {
        if (_queue is null)
        {
            call();
            return;
        }
        _queue.Enqueue(what, _ => Task.Run(call));
    }

    private static Regex Glob(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant);
}
