using System.Text.Json;
using Composer.Core;

namespace Composer.Loggers;

/// <summary>
/// Appends every logged value to a file of JSON lines, like <c>composer.loggers.FileLogger</c>: one object
/// per logging call, <c>{"epoch":1,"batch":250,"sample":16000,"metrics":{"loss/train/total":0.1234}}</c>.
/// The file is flushed at the end of each epoch and of the run.
/// </summary>
public sealed class FileLogger : LoggerDestination, IDisposable
{
    private readonly StreamWriter _writer;

    /// <summary>Opens <paramref name="path"/> for appending, creating its folder.</summary>
    /// <param name="path">The file; <c>{run_name}</c> is not expanded, pass the final path.</param>
    public FileLogger(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _writer = new StreamWriter(new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read));
    }

    /// <summary>The file written to.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public override void LogMetrics(Timestamp timestamp, IReadOnlyDictionary<string, double> metrics) =>
        WriteLine(json =>
        {
            json.WriteNumber("epoch", timestamp.Epoch);
            json.WriteNumber("batch", timestamp.Batch);
            json.WriteNumber("sample", timestamp.Sample);
            json.WriteStartObject("metrics");
            foreach ((string name, double value) in metrics)
            {
                if (double.IsFinite(value)) json.WriteNumber(name, value);
                else json.WriteString(name, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            json.WriteEndObject();
        });

    /// <inheritdoc/>
    public override void LogHyperparameters(IReadOnlyDictionary<string, object> hyperparameters) =>
        WriteLine(json =>
        {
            json.WriteStartObject("hyperparameters");
            foreach ((string name, object value) in hyperparameters)
                json.WriteString(name, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
            json.WriteEndObject();
        });

    /// <summary>Flushes the file at the end of each epoch.</summary>
    [OnEvent(Event.EpochEnd)]
    public void FlushAtEpochEnd(State state) => _writer.Flush();

    /// <summary>Flushes the file at the end of the run.</summary>
    [OnEvent(Event.FitEnd)]
    public void FlushAtFitEnd(State state) => _writer.Flush();

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose() => _writer.Dispose();

    private void WriteLine(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            body(json);
            json.WriteEndObject();
        }
        _writer.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }
}
