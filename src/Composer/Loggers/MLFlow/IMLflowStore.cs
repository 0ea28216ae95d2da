namespace Composer.Loggers.MLFlow;

/// <summary>Where an <see cref="MLFlowLogger"/>'s run goes: MLflow's file store or a tracking server.</summary>
internal interface IMLflowStore
{
    /// <summary>The experiment's id, created when there is none of that name.</summary>
    string ExperimentId(string name);

    /// <summary>Creates a running run; returns its id.</summary>
    string CreateRun(string experimentId, string runName, long startTime, IReadOnlyDictionary<string, string> tags);

    /// <summary>Logs metrics (key, value, timestamp in ms, step), params and tags.</summary>
    void LogBatch(string runId, IReadOnlyList<(string Key, double Value, long Timestamp, long Step)> metrics,
        IReadOnlyList<(string Key, string Value)> parameters, IReadOnlyList<(string Key, string Value)> tags);

    /// <summary>Stores a file among the run's artifacts.</summary>
    void LogArtifact(string runId, string artifactPath, string localPath);

    /// <summary>Ends the run: <c>FINISHED</c> or <c>FAILED</c>.</summary>
    void Terminate(string runId, string status, long endTime);

    /// <summary>Makes what was logged durable (flushed and synced, or sent).</summary>
    void Flush();
}
