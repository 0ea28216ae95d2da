using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Composer.Loggers.MLFlow;

/// <summary>
/// A tracking server through MLflow's REST API 2.0: <c>experiments/get-by-name</c> and <c>experiments/create</c>,
/// <c>runs/create</c>, <c>runs/log-batch</c> (at most 1000 metrics, 100 params and 100 tags a request, MLflow's limits),
/// <c>runs/update</c>, and artifacts through the server's <c>mlflow-artifacts</c> proxy. Credentials come from MLflow's
/// own variables: <c>MLFLOW_TRACKING_TOKEN</c> (bearer) or <c>MLFLOW_TRACKING_USERNAME</c> and
/// <c>MLFLOW_TRACKING_PASSWORD</c> (basic).
/// </summary>
internal sealed class MLflowRestStore : IMLflowStore, IDisposable
{
    private readonly HttpClient _http;
    private readonly Dictionary<string, string> _artifactUris = new(StringComparer.Ordinal);

    public MLflowRestStore(Uri server, HttpMessageHandler? handler = null)
    {
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.BaseAddress = new Uri(server.ToString().TrimEnd('/') + "/");
        _http.Timeout = TimeSpan.FromSeconds(60);
        if (Environment.GetEnvironmentVariable("MLFLOW_TRACKING_TOKEN") is { Length: > 0 } token)
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        else if (Environment.GetEnvironmentVariable("MLFLOW_TRACKING_USERNAME") is { Length: > 0 } user)
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{Environment.GetEnvironmentVariable("MLFLOW_TRACKING_PASSWORD")}")));
    }

    public string ExperimentId(string name)
    {
        using HttpResponseMessage found = _http.GetAsync($"api/2.0/mlflow/experiments/get-by-name?experiment_name={Uri.EscapeDataString(name)}").GetAwaiter().GetResult();
        if (found.StatusCode != HttpStatusCode.NotFound)
            return (string)Read(found)["experiment"]!["experiment_id"]!;
        return (string)Post("api/2.0/mlflow/experiments/create", new JsonObject { ["name"] = name })["experiment_id"]!;
    }

    public string CreateRun(string experimentId, string runName, long startTime, IReadOnlyDictionary<string, string> tags)
    {
        JsonNode run = Post("api/2.0/mlflow/runs/create", new JsonObject
        {
            ["experiment_id"] = experimentId,
            ["user_id"] = Environment.UserName,
            ["start_time"] = startTime,
            ["run_name"] = runName,
            ["tags"] = Pairs(tags.Select(t => (t.Key, t.Value))),
        })["run"]!["info"]!;
        string runId = (string)run["run_id"]!;
        _artifactUris[runId] = (string?)run["artifact_uri"] ?? "";
        return runId;
    }

    public void LogBatch(string runId, IReadOnlyList<(string Key, double Value, long Timestamp, long Step)> metrics,
        IReadOnlyList<(string Key, string Value)> parameters, IReadOnlyList<(string Key, string Value)> tags)
    {
        for (int m = 0, p = 0, t = 0; m < metrics.Count || p < parameters.Count || t < tags.Count; m += 1000, p += 100, t += 100)
        {
            var metricArray = new JsonArray();
            foreach ((string key, double value, long timestamp, long step) in metrics.Skip(m).Take(1000))
                metricArray.Add(new JsonObject { ["key"] = key, ["value"] = Value(value), ["timestamp"] = timestamp, ["step"] = step });
            Post("api/2.0/mlflow/runs/log-batch", new JsonObject
            {
                ["run_id"] = runId,
                ["metrics"] = metricArray,
                ["params"] = Pairs(parameters.Skip(p).Take(100)),
                ["tags"] = Pairs(tags.Skip(t).Take(100)),
            });
        }
    }

    public void LogArtifact(string runId, string artifactPath, string localPath)
    {
        // Servers started with --serve-artifacts hand out mlflow-artifacts:/<experiment>/<run>/artifacts URIs.
        const string proxy = "mlflow-artifacts:";
        string root = _artifactUris.GetValueOrDefault(runId, "");
        if (!root.StartsWith(proxy, StringComparison.Ordinal))
            throw new NotSupportedException(
                $"The run's artifacts go to '{root}', which only the server's artifact proxy (mlflow server --serve-artifacts) lets a client reach over HTTP.");
        string path = $"api/2.0/mlflow-artifacts/artifacts/{root[proxy.Length..].Trim('/')}/{artifactPath}";
        using var content = new StreamContent(File.OpenRead(localPath));
        using HttpResponseMessage response = _http.PutAsync(path, content).GetAwaiter().GetResult();
        Read(response);
    }

    public void Terminate(string runId, string status, long endTime) =>
        Post("api/2.0/mlflow/runs/update", new JsonObject { ["run_id"] = runId, ["status"] = status, ["end_time"] = endTime });

    public void Flush()
    {
    }

    public void Dispose() => _http.Dispose();

    private JsonNode Post(string path, JsonObject body)
    {
        using HttpResponseMessage response = _http.PostAsJsonAsync(path, body).GetAwaiter().GetResult();
        return Read(response);
    }

    private static JsonNode Read(HttpResponseMessage response)
    {
        string text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        if (!response.IsSuccessStatusCode)
        {
            string code = "";
            try
            {
                code = (string?)JsonNode.Parse(text)?["error_code"] ?? "";
            }
            catch (JsonException)
            {
                // Not MLflow's JSON error: the status says enough.
            }
            throw new HttpRequestException(
                $"MLflow answered {(int)response.StatusCode} {code} to {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath}", null, response.StatusCode);
        }
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text) ?? new JsonObject();
    }

    private static JsonArray Pairs(IEnumerable<(string Key, string Value)> pairs) =>
        new(pairs.Select(p => (JsonNode)new JsonObject { ["key"] = p.Key, ["value"] = p.Value }).ToArray());

    // JSON has no NaN or infinity; MLflow's protobuf JSON parser takes them as strings.
    private static JsonNode Value(double value) =>
        double.IsFinite(value) ? JsonValue.Create(value)
        : JsonValue.Create(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
}
