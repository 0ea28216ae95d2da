using System.Globalization;
using System.Text.Json.Nodes;
using Composer.Callbacks;
using Composer.Core;
using Composer.Loggers;
using Composer.Loggers.MLFlow;
using Composer.Tests.Checkpoints;
using Composer.Tests.Training;

namespace Composer.Tests.Loggers;

/// <summary>
/// The MLflow logger: its file store read back as MLflow's FileStore reads it (meta.yaml, one "timestamp value step"
/// line per value), and its REST calls to a recording server checked against MLflow's endpoints and JSON.
/// </summary>
[NonParallelizable]
public class MLFlowLoggerTests : FolderTests
{
    private static (InMemoryLogger Log, MLFlowLogger MLflow) Run(MLFlowLogger mlflow, string? checkpoints = null)
    {
        var log = new InMemoryLogger();
        List<Callback> callbacks = [new LRMonitor()];
        if (checkpoints is not null) callbacks.Add(new CheckpointSaver(checkpoints));
        var options = TestSetup.Options("2ep", evalInterval: "1ep", callbacks: callbacks, loggers: [log, mlflow], logInterval: 1);
        new BareOptionsTrainer(options with { RunName = "mlflow-test" }).Fit();
        return (log, mlflow);
    }

    [Test]
    public void TheFileStoreHoldsTheRunAsMLflowsFileStoreReadsIt()
    {
        string root = Path.Combine(Folder(), "mlruns");
        using var mlflow = new MLFlowLogger(experimentName: "composer-exp", trackingUri: root, tags: new Dictionary<string, string> { ["team"] = "vision" },
            ignoreMetrics: ["time/*"]);
        (InMemoryLogger log, _) = Run(mlflow);

        // FileStore.__init__'s default experiment and trash folder, and the named experiment.
        Assert.That(MLflowFileStore.ReadYaml(Path.Combine(root, "0", "meta.yaml"))["name"], Is.EqualTo("Default"));
        Assert.That(Directory.Exists(Path.Combine(root, ".trash")));
        var experiment = MLflowFileStore.ReadYaml(Path.Combine(root, mlflow.ExperimentId!, "meta.yaml"));
        Assert.That((experiment["name"], experiment["experiment_id"], experiment["lifecycle_stage"]), Is.EqualTo(("composer-exp", mlflow.ExperimentId, "active")));
        Assert.That(long.TryParse(mlflow.ExperimentId, out _), "an integer id, as MLflow's");

        string run = Path.Combine(root, mlflow.ExperimentId!, mlflow.RunId!);
        var meta = MLflowFileStore.ReadYaml(Path.Combine(run, "meta.yaml"));
        Assert.That(meta["status"], Is.EqualTo("3"), "RunStatus.FINISHED");
        Assert.That((meta["run_id"], meta["run_uuid"], meta["run_name"], meta["experiment_id"]), Is.EqualTo((mlflow.RunId, mlflow.RunId, "mlflow-test", mlflow.ExperimentId)));
        Assert.That(meta["artifact_uri"], Is.EqualTo(new Uri(Path.Combine(run, "artifacts")).AbsoluteUri));
        Assert.That(long.Parse(meta["end_time"], CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(long.Parse(meta["start_time"], CultureInfo.InvariantCulture)));
        Assert.That(File.ReadAllText(Path.Combine(run, "tags", "mlflow.runName")), Is.EqualTo("mlflow-test"));
        Assert.That(File.ReadAllText(Path.Combine(run, "tags", "run_name")), Is.EqualTo("mlflow-test"));
        Assert.That(File.ReadAllText(Path.Combine(run, "tags", "team")), Is.EqualTo("vision"));
        Assert.That(File.ReadAllText(Path.Combine(run, "params", "seed")), Is.EqualTo("7"));
        Assert.That(File.ReadAllText(Path.Combine(run, "params", "mlflow_run_id")), Is.EqualTo(mlflow.RunId));

        // Every logged value of a changing metric, at its batch, bit for bit.
        foreach (string key in new[] { "loss/train/total", "metrics/eval/Accuracy" })
        {
            var lines = File.ReadAllLines(Path.Combine(run, "metrics", key)).Select(l => l.Split(' ')).ToList();
            Assert.That(lines.Select(l => l.Length), Is.All.EqualTo(3), "timestamp value step");
            var expected = log.Data[key].Select(v => (v.Timestamp.Batch, v.Value)).ToList();
            var deduplicated = expected.Where((v, i) => i == 0 || v.Value != expected[i - 1].Value || key.StartsWith("loss", StringComparison.Ordinal)).ToList();
            Assert.That(lines.Select(l => (long.Parse(l[2], CultureInfo.InvariantCulture), double.Parse(l[1], CultureInfo.InvariantCulture))),
                Is.EqualTo(key.StartsWith("loss", StringComparison.Ordinal) ? expected : deduplicated), key);
        }
        // The learning rate never changes: Composer's cache logs it once in 100 steps.
        Assert.That(File.ReadAllLines(Path.Combine(run, "metrics", "lr-SGD", "group0")), Has.Length.EqualTo(1));
        Assert.That(Directory.Exists(Path.Combine(run, "metrics", "time")), Is.False, "ignored by the glob");

        // A second run of the experiment joins it.
        using var second = new MLFlowLogger(experimentName: "composer-exp", trackingUri: root);
        Run(second);
        Assert.That(second.ExperimentId, Is.EqualTo(mlflow.ExperimentId));
        Assert.That(Directory.GetDirectories(Path.Combine(root, mlflow.ExperimentId!)), Has.Length.EqualTo(2));
    }

    [Test]
    public void ATrackingServerGetsMLflowsRestCallsWithTheRunsValuesAndArtifacts()
    {
        string? saved = Environment.GetEnvironmentVariable("MLFLOW_TRACKING_TOKEN");
        Environment.SetEnvironmentVariable("MLFLOW_TRACKING_TOKEN", "secret-token");
        using var server = new RecordingServer((method, path, body) => path switch
        {
            _ when path.StartsWith("/api/2.0/mlflow/experiments/get-by-name", StringComparison.Ordinal) =>
                (404, """{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"no such experiment"}"""),
            "/api/2.0/mlflow/experiments/create" => (200, """{"experiment_id":"17"}"""),
            "/api/2.0/mlflow/runs/create" => (200, """{"run":{"info":{"run_id":"abc123","experiment_id":"17","artifact_uri":"mlflow-artifacts:/17/abc123/artifacts"}}}"""),
            _ => (200, "{}"),
        });
        try
        {
            using var mlflow = new MLFlowLogger(experimentName: "remote exp", trackingUri: server.Uri.ToString(), logArtifacts: true);
            (InMemoryLogger log, _) = Run(mlflow, checkpoints: Folder());
            Assert.That((mlflow.ExperimentId, mlflow.RunId), Is.EqualTo(("17", "abc123")));

            var requests = server.Requests;
            Assert.That(requests[0].Method + " " + requests[0].Path, Is.EqualTo("GET /api/2.0/mlflow/experiments/get-by-name?experiment_name=remote%20exp"));
            Assert.That(requests[1].Path, Is.EqualTo("/api/2.0/mlflow/experiments/create"));
            Assert.That((string?)JsonNode.Parse(requests[1].Body)!["name"], Is.EqualTo("remote exp"));
            JsonNode create = JsonNode.Parse(requests[2].Body)!;
            Assert.That(requests[2].Path, Is.EqualTo("/api/2.0/mlflow/runs/create"));
            Assert.That(((string?)create["experiment_id"], (string?)create["run_name"]), Is.EqualTo(("17", "mlflow-test")));
            Assert.That(create["tags"]!.AsArray().Select(t => (string?)t!["key"]), Does.Contain("mlflow.runName").And.Contain("run_name"));
            Assert.That(requests.Select(r => r.Authorization), Is.All.EqualTo("Bearer secret-token"));

            var batches = requests.Where(r => r.Path == "/api/2.0/mlflow/runs/log-batch").Select(r => JsonNode.Parse(r.Body)!).ToList();
            Assert.That(batches.Select(b => (string?)b["run_id"]), Is.All.EqualTo("abc123"));
            var losses = batches.SelectMany(b => b["metrics"]!.AsArray()).Where(m => (string?)m!["key"] == "loss/train/total")
                .Select(m => ((long)m!["step"]!, (double)m["value"]!)).ToList();
            Assert.That(losses, Is.EqualTo(log.Data["loss/train/total"].Select(v => (v.Timestamp.Batch, v.Value))));
            Assert.That(batches.SelectMany(b => b["params"]!.AsArray()).Any(p => (string?)p!["key"] == "seed" && (string?)p["value"] == "7"));

            // The checkpoints the saver handed over went to the server's artifact proxy.
            Assert.That(requests.Where(r => r.Method == "PUT").Select(r => r.Path), Is.EquivalentTo(new[]
            {
                "/api/2.0/mlflow-artifacts/artifacts/17/abc123/artifacts/mlflow-test/checkpoints/ep1-ba3.ckpt",
                "/api/2.0/mlflow-artifacts/artifacts/17/abc123/artifacts/mlflow-test/checkpoints/ep2-ba6.ckpt",
            }));
            var update = requests.Last(r => r.Path == "/api/2.0/mlflow/runs/update");
            Assert.That((string?)JsonNode.Parse(update.Body)!["status"], Is.EqualTo("FINISHED"));
            Assert.That(requests.IndexOf(update), Is.EqualTo(requests.Count - 1), "finished after everything was sent");
        }
        finally
        {
            Environment.SetEnvironmentVariable("MLFLOW_TRACKING_TOKEN", saved);
        }
    }

    [Test]
    public void AServerThatFailsIsReportedAndTrainingFinishes()
    {
        using var server = new RecordingServer((_, path, _) => path.Contains("log-batch", StringComparison.Ordinal)
            ? (500, """{"error_code":"INTERNAL_ERROR"}""")
            : path.StartsWith("/api/2.0/mlflow/experiments/get-by-name", StringComparison.Ordinal) ? (200, """{"experiment":{"experiment_id":"3"}}""")
            : path.EndsWith("runs/create", StringComparison.Ordinal) ? (200, """{"run":{"info":{"run_id":"r"}}}""") : (200, "{}"));
        var stderr = new StringWriter();
        TextWriter original = Console.Error;
        Console.SetError(stderr);
        try
        {
            using var mlflow = new MLFlowLogger(trackingUri: server.Uri.ToString());
            (InMemoryLogger log, _) = Run(mlflow);
            Assert.That(log.Data["loss/train/total"], Has.Count.EqualTo(6), "training went on");
            Assert.That(mlflow.ExperimentId, Is.EqualTo("3"), "the existing experiment");
        }
        finally
        {
            Console.SetError(original);
        }
        Assert.That(stderr.ToString(), Does.Contain("MLFlowLogger: could not log metrics: MLflow answered 500 INTERNAL_ERROR"));
    }
}
