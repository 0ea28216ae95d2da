using System.Text.Json;
using Composer.Core;

namespace Composer.Loggers;

/// <summary>
/// Appends every logged value to a file of JSON lines, like <c>composer.loggers.FileLogger</c>: one object
/// per logging call, <c>{"epoch":1,"batch":250,"sample":16000,"metrics":{"loss/train/total":0.1234}}</c>.
/// The file is flushed at the end of each epoch and of the run, and synced to disk before each checkpoint.
/// </summary>
/// <remarks>
/// The file's length at each checkpoint is kept in the checkpoint. A run resumed from it cuts the file back to that
/// length before appending: the lines a crashed run wrote after its last checkpoint (perhaps a last line cut off
/// mid-way) are removed, and the resumed run writes them again, so each logging call is in the file once.
/// </remarks>
public sealed class FileLogger : LoggerDestination, IStateful, IDisposable
{
    private readonly FileStream _file;
    private readonly StreamWriter _writer;

    /// <summary>Opens <paramref name="path"/> for appending, creating its folder.</summary>
    /// <param name="path">The file; <c>{run_name}</c> is not expanded, pass the final path.</param>
    public FileLogger(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        // Not FileMode.Append: a resumed run must be able to cut the file back (see LoadState).
        _file = new FileStream(Path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read);
        _file.Seek(0, SeekOrigin.End);
        _writer = new StreamWriter(_file);
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

    /// <summary>Writes what is buffered to the file and syncs it to disk.</summary>
    public override void Persist()
    {
        _writer.Flush();
        _file.Flush(flushToDisk: true);
    }

    /// <inheritdoc/>
    /// <remarks>The file's path and its length once what is buffered is written.</remarks>
    public void SaveState(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        _writer.Flush();
        state.Set("path", [Path]);
        state.Set("length", _file.Length);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// When the checkpoint was saved with this same file, the file is cut back to its length then: what the saved
    /// run wrote after the checkpoint, the resumed run writes again.
    /// </remarks>
    public void LoadState(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.Contains("length") || state.GetStrings("path") is not [var saved] || saved != Path) return;
        long length = (long)state.GetNumber("length");
        _writer.Flush();
        if (_file.Length <= length) return;
        Console.Error.WriteLine($"FileLogger: {Path} is cut back from {_file.Length} to {length} bytes, its length at the checkpoint; the resumed run logs what came after again.");
        _file.SetLength(length);
        _file.Seek(0, SeekOrigin.End);
    }

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
