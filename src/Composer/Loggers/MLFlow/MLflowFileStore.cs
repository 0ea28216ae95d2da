using System.Globalization;
using System.Text;

namespace Composer.Loggers.MLFlow;

/// <summary>
/// MLflow's file store, as <c>mlflow.store.tracking.file_store.FileStore</c> lays it out, so that <c>mlflow ui
/// --backend-store-uri &lt;root&gt;</c> shows the runs: <c>&lt;root&gt;/&lt;experiment id&gt;/meta.yaml</c>, and per run
/// <c>&lt;run id&gt;/{meta.yaml, metrics/&lt;key&gt;, params/&lt;key&gt;, tags/&lt;key&gt;, artifacts/}</c>. A metric file has
/// one line per value, <c>"&lt;timestamp ms&gt; &lt;value&gt; &lt;step&gt;"</c>; a key with slashes is a path of folders.
/// </summary>
internal sealed class MLflowFileStore : IMLflowStore, IDisposable
{
    // MLflow's RunStatus and SourceType numbers, as the meta.yaml files store them.
    private static readonly Dictionary<string, int> Statuses = new(StringComparer.Ordinal) { ["RUNNING"] = 1, ["FINISHED"] = 3, ["FAILED"] = 4, ["KILLED"] = 5 };
    private const int SourceTypeLocal = 4;

    private readonly Dictionary<string, FileStream> _metricFiles = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Experiment, string Name, long Start)> _runs = new(StringComparer.Ordinal);

    public MLflowFileStore(string root)
    {
        Root = Path.GetFullPath(root);
        // As FileStore.__init__: the default experiment "0" and the trash folder on first use.
        if (!Directory.Exists(Root)) CreateExperiment("0", "Default");
        Directory.CreateDirectory(Path.Combine(Root, ".trash"));
    }

    public string Root { get; }

    public string ExperimentId(string name)
    {
        foreach (string folder in Directory.EnumerateDirectories(Root))
        {
            string meta = Path.Combine(folder, "meta.yaml");
            if (File.Exists(meta) && ReadYaml(meta).GetValueOrDefault("name") == name && ReadYaml(meta).GetValueOrDefault("lifecycle_stage") != "deleted")
                return Path.GetFileName(folder);
        }
        // MLflow's _generate_unique_integer_id: a random positive 64-bit integer.
        string id = ((ulong)Random.Shared.NextInt64(1, long.MaxValue)).ToString(CultureInfo.InvariantCulture);
        CreateExperiment(id, name);
        return id;
    }

    public string CreateRun(string experimentId, string runName, long startTime, IReadOnlyDictionary<string, string> tags)
    {
        string runId = Guid.NewGuid().ToString("N");
        string folder = RunFolder(experimentId, runId);
        Directory.CreateDirectory(Path.Combine(folder, "metrics"));
        Directory.CreateDirectory(Path.Combine(folder, "params"));
        Directory.CreateDirectory(Path.Combine(folder, "artifacts"));
        _runs[runId] = (experimentId, runName, startTime);
        WriteRunMeta(runId, "RUNNING", endTime: null);
        foreach ((string key, string value) in tags) WriteValue(Path.Combine(folder, "tags", key), value);
        return runId;
    }

    public void LogBatch(string runId, IReadOnlyList<(string Key, double Value, long Timestamp, long Step)> metrics,
        IReadOnlyList<(string Key, string Value)> parameters, IReadOnlyList<(string Key, string Value)> tags)
    {
        string folder = RunFolder(_runs[runId].Experiment, runId);
        foreach ((string key, string value) in parameters)
        {
            string path = Path.Combine(folder, "params", key);
            // MLflow's params are immutable: a different value for a logged key is refused, said, and not written.
            if (File.Exists(path) && File.ReadAllText(path) != value)
            {
                Console.Error.WriteLine($"MLFlowLogger: param '{key}' was logged as '{File.ReadAllText(path)}'; MLflow keeps the first value, not '{value}'.");
                continue;
            }
            WriteValue(path, value);
        }
        foreach ((string key, string value) in tags) WriteValue(Path.Combine(folder, "tags", key), value);
        foreach ((string key, double value, long timestamp, long step) in metrics)
        {
            string path = Path.Combine(folder, "metrics", key);
            if (!_metricFiles.TryGetValue(path, out FileStream? file))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                _metricFiles[path] = file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
            }
            file.Write(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{timestamp} {Number(value)} {step}\n")));
        }
        foreach (FileStream file in _metricFiles.Values) file.Flush();
    }

    public void LogArtifact(string runId, string artifactPath, string localPath)
    {
        string target = Path.Combine(RunFolder(_runs[runId].Experiment, runId), "artifacts", artifactPath);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(localPath, target, overwrite: true);
    }

    public void Terminate(string runId, string status, long endTime)
    {
        Flush();
        WriteRunMeta(runId, status, endTime);
    }

    public void Flush()
    {
        foreach (FileStream file in _metricFiles.Values) file.Flush(flushToDisk: true);
    }

    public void Dispose()
    {
        foreach (FileStream file in _metricFiles.Values) file.Dispose();
        _metricFiles.Clear();
    }

    private string RunFolder(string experimentId, string runId) => Path.Combine(Root, experimentId, runId);

    private void CreateExperiment(string id, string name)
    {
        string folder = Path.Combine(Root, id);
        Directory.CreateDirectory(folder);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        WriteYaml(Path.Combine(folder, "meta.yaml"), new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["artifact_location"] = Quote(new Uri(folder).AbsoluteUri),
            ["creation_time"] = Int(now),
            ["experiment_id"] = Quote(id),
            ["last_update_time"] = Int(now),
            ["lifecycle_stage"] = "active",
            ["name"] = Quote(name),
        });
    }

    // The keys of RunInfo that FileStore writes, sorted as yaml.safe_dump writes them.
    private void WriteRunMeta(string runId, string status, long? endTime)
    {
        (string experiment, string name, long start) = _runs[runId];
        string folder = RunFolder(experiment, runId);
        WriteYaml(Path.Combine(folder, "meta.yaml"), new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["artifact_uri"] = Quote(new Uri(Path.Combine(folder, "artifacts")).AbsoluteUri),
            ["deleted_time"] = "null",
            ["end_time"] = endTime is { } end ? Int(end) : "null",
            ["entry_point_name"] = "''",
            ["experiment_id"] = Quote(experiment),
            ["lifecycle_stage"] = "active",
            ["run_id"] = Quote(runId),
            ["run_name"] = Quote(name),
            ["run_uuid"] = Quote(runId),
            ["source_name"] = "''",
            ["source_type"] = Int(SourceTypeLocal),
            ["source_version"] = "''",
            ["start_time"] = Int(start),
            ["status"] = Int(Statuses[status]),
            ["tags"] = "[]",
            ["user_id"] = Quote(Environment.UserName),
        });
    }

    private static void WriteYaml(string path, SortedDictionary<string, string> entries)
    {
        var text = new StringBuilder();
        foreach ((string key, string value) in entries) text.Append(key).Append(": ").Append(value).Append('\n');
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, text.ToString());
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The scalar values of a flat meta.yaml, unquoted.</summary>
    internal static Dictionary<string, string> ReadYaml(string path)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(path))
        {
            int colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon <= 0) continue;
            string value = line[(colon + 2)..].Trim();
            if (value.Length >= 2 && value[0] == '\'' && value[^1] == '\'') value = value[1..^1].Replace("''", "'", StringComparison.Ordinal);
            values[line[..colon]] = value;
        }
        return values;
    }

    private static void WriteValue(string path, string value)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, value);
    }

    // YAML single-quoted scalars: read back as strings whatever they hold.
    private static string Quote(string value) => $"'{value.Replace("'", "''", StringComparison.Ordinal)}'";

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    // What Python's float() reads back: repr-like round-trip digits, nan and inf spelled as Python accepts them.
    internal static string Number(double value) =>
        double.IsNaN(value) ? "nan" : double.IsPositiveInfinity(value) ? "inf" : double.IsNegativeInfinity(value) ? "-inf"
        : value.ToString("R", CultureInfo.InvariantCulture);
}
