using System.Buffers.Binary;
using Composer.Core;
using Google.Protobuf;
using Tensorboard;
using Event = Composer.Core.Event;
using TorchSharp;

namespace Composer.Loggers;

/// <summary>
/// Writes every logged value as a TensorBoard scalar, like <c>composer.loggers.TensorboardLogger</c>: the tag is the
/// metric's name, the step the batch count. Logged images become one PNG grid per call (eight a row, gray as RGB, as
/// PyTorch's <c>add_images</c>), and the hyperparameters go to the HParams dashboard (a <c>session_start_info</c>
/// record, and a <c>session_end_info</c> with success at <see cref="Event.FitEnd"/>) as well as to text summaries.
/// Open the folder with <c>tensorboard --logdir</c>.
/// </summary>
/// <remarks>
/// <para>Each process writes one event file (TensorBoard's TFRecord framing of TorchSharp's <c>Event</c> protobufs):
/// handed to the operating system after each logging call, synced to disk before each checkpoint.</para>
/// <para>The values of the last step logged before a checkpoint are kept in it. A run resumed from that checkpoint
/// starts its file with a <c>SessionLog</c> START at that step, as PyTorch's <c>SummaryWriter(purge_step=...)</c> does,
/// and writes those values again: TensorBoard hides what the interrupted run wrote from that step on, and shows the
/// resumed run's values in their place, each once.</para>
/// </remarks>
public sealed class TensorBoardLogger : LoggerDestination, IStateful, IDisposable
{
    private static int s_files;
    private readonly Dictionary<string, double> _lastStepValues = new(StringComparer.Ordinal);
    private readonly Dictionary<string, object> _hyperparameters = new(StringComparer.Ordinal);
    private long _lastStep = -1;
    private FileStream? _file;
    private (long Step, Dictionary<string, double> Values)? _resumedAt;
    private List<Tensorboard.Event>? _heldForPurge;

    /// <summary>Creates the logger; the event file is created with the first value.</summary>
    /// <param name="logDirectory">The folder for the event files; created if missing.</param>
    public TensorBoardLogger(string logDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(logDirectory, nameof(logDirectory));
        LogDirectory = logDirectory;
    }

    /// <summary>The folder the event files are in.</summary>
    public string LogDirectory { get; }

    /// <summary>This process's event file, once created.</summary>
    public string? EventFile => _file?.Name;

    /// <summary>
    /// In a run resumed from a checkpoint: hides what the interrupted run logged from the checkpoint's last step on,
    /// and writes that step's values again.
    /// </summary>
    [OnEvent(Event.FitStart)]
    public void PurgeAfterResume(State state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (_resumedAt is not { } resumed) return;
        List<Tensorboard.Event> held = _heldForPurge ?? [];
        _resumedAt = null;
        _heldForPurge = null;
        if (RankZeroOnly && state.Rank != 0) return;
        Write(new Tensorboard.Event
        {
            Step = resumed.Step,
            WallTime = Now(),
            SessionLog = new SessionLog { Status = SessionLog.Types.SessionStatus.Start },
        });
        foreach (Tensorboard.Event e in held) Write(e);
        LogMetrics(resumed.Step, resumed.Values);
    }

    /// <inheritdoc/>
    public override void LogMetrics(Timestamp timestamp, IReadOnlyDictionary<string, double> metrics) =>
        LogMetrics(timestamp.Batch, metrics);

    /// <inheritdoc/>
    public override void LogHyperparameters(IReadOnlyDictionary<string, object> hyperparameters)
    {
        ArgumentNullException.ThrowIfNull(hyperparameters);
        foreach ((string name, object value) in hyperparameters)
        {
            string text = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
            WriteOrHold(new Tensorboard.Event { Step = 0, WallTime = Now(), Summary = torch.utils.tensorboard.Summary.text($"hparams/{name}", text) });
        }
        foreach ((string name, object value) in hyperparameters) _hyperparameters[name] = value;
        WriteOrHold(new Tensorboard.Event { Step = 0, WallTime = Now(), Summary = HParams.SessionStart(_hyperparameters, Now()) });
        _file?.Flush();
    }

    /// <summary>Marks the HParams session as ended with success.</summary>
    [OnEvent(Event.FitEnd)]
    public void EndSession(State state)
    {
        if (_hyperparameters.Count == 0 || (RankZeroOnly && state.Rank != 0)) return;
        Write(new Tensorboard.Event { Step = state.Timestamp.Batch, WallTime = Now(), Summary = HParams.SessionEnd(Now()) });
        _file?.Flush();
    }

    /// <inheritdoc/>
    public override void LogImages(Timestamp timestamp, string name, IReadOnlyList<LoggedImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) return;
        LoggedImage grid = Grid(images);
        var summary = new Summary();
        summary.Value.Add(new Summary.Types.Value
        {
            Tag = name,
            Image = new Summary.Types.Image
            {
                Height = grid.Height,
                Width = grid.Width,
                Colorspace = grid.Channels,
                EncodedImageString = ByteString.CopyFrom(Png.Encode(grid)),
            },
        });
        Write(new Tensorboard.Event { Step = timestamp.Batch, WallTime = Now(), Summary = summary });
        _file?.Flush();
    }

    /// <summary>
    /// PyTorch's tensorboard <c>make_grid</c>: images of one size side by side, eight a row, rows as needed, no padding,
    /// gray repeated into RGB; images of other sizes than the first are placed at their own size, cut to the cell.
    /// </summary>
    internal static LoggedImage Grid(IReadOnlyList<LoggedImage> images)
    {
        int height = images[0].Height, width = images[0].Width;
        int columns = Math.Min(images.Count, 8), rows = (images.Count + columns - 1) / columns;
        byte[] canvas = new byte[3 * height * rows * width * columns];
        int stride = width * columns;
        for (int i = 0; i < images.Count; i++)
        {
            LoggedImage image = images[i];
            int top = i / columns * height, left = i % columns * width;
            for (int y = 0; y < Math.Min(height, image.Height); y++)
                for (int x = 0; x < Math.Min(width, image.Width); x++)
                    for (int c = 0; c < 3; c++)
                        canvas[c * height * rows * stride + (top + y) * stride + left + x] =
                            image.Pixels[(y * image.Width + x) * image.Channels + (image.Channels == 3 ? c : 0)];
        }
        using var pixels = torch.tensor(canvas, [3, height * rows, stride]);
        return new LoggedImage(pixels);
    }

    // Before a resumed run's purge, what is written at step 0 would be hidden with the interrupted run's values.
    private void WriteOrHold(Tensorboard.Event e)
    {
        if (_heldForPurge is not null) _heldForPurge.Add(e);
        else Write(e);
    }

    /// <inheritdoc/>
    /// <remarks>The last step logged and its values: the values a resumed run writes again after its purge.</remarks>
    public void SaveState(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Set("lastStep", _lastStep);
        state.Set("lastStepTags", _lastStepValues.Keys);
        state.Set("lastStepValues", torch.tensor(_lastStepValues.Values.ToArray()));
    }

    /// <inheritdoc/>
    public void LoadState(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        // Checkpoints written before the last step was kept have none.
        if (!state.Contains("lastStep")) return;
        long step = (long)state.GetNumber("lastStep");
        IReadOnlyList<string> tags = state.GetStrings("lastStepTags");
        double[] values = state.GetTensor("lastStepValues").data<double>().ToArray();
        _resumedAt = (Math.Max(step, 0), tags.Select((tag, i) => (tag, values[i])).ToDictionary(p => p.tag, p => p.Item2, StringComparer.Ordinal));
        _heldForPurge = [];
    }

    /// <summary>Syncs the event file to disk.</summary>
    public override void Persist() => _file?.Flush(flushToDisk: true);

    /// <summary>Closes the event file.</summary>
    public void Dispose()
    {
        _file?.Dispose();
        _file = null;
    }

    private void LogMetrics(long step, IReadOnlyDictionary<string, double> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        if (step != _lastStep) _lastStepValues.Clear();
        _lastStep = step;
        double now = Now();
        foreach ((string name, double value) in metrics)
        {
            _lastStepValues[name] = value;
            var summary = new Summary();
            summary.Value.Add(new Summary.Types.Value { Tag = name, SimpleValue = (float)value });
            Write(new Tensorboard.Event { Step = step, WallTime = now, Summary = summary });
        }
        _file?.Flush();
    }

    private void Write(Tensorboard.Event e)
    {
        if (_file is null)
        {
            Directory.CreateDirectory(LogDirectory);
            // TensorBoard reads a folder's event files in name order: the creation time first keeps a resumed run's
            // file after the interrupted run's.
            string name = $"events.out.tfevents.{DateTime.UtcNow.Ticks}.{Environment.MachineName}.{Environment.ProcessId}.{Interlocked.Increment(ref s_files)}";
            _file = new FileStream(Path.Combine(LogDirectory, name), FileMode.CreateNew, FileAccess.Write, FileShare.Read);
            Append(_file, new Tensorboard.Event { WallTime = Now(), FileVersion = "brain.Event:2" });
        }
        Append(_file, e);
    }

    // TFRecord framing: the payload's length, its masked CRC-32C, the payload, the payload's masked CRC-32C.
    private static void Append(FileStream file, Tensorboard.Event e)
    {
        byte[] payload = e.ToByteArray();
        byte[] length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)payload.LongLength);
        Span<byte> crc = stackalloc byte[4];
        file.Write(length);
        BinaryPrimitives.WriteUInt32LittleEndian(crc, MaskedCrc(length));
        file.Write(crc);
        file.Write(payload);
        BinaryPrimitives.WriteUInt32LittleEndian(crc, MaskedCrc(payload));
        file.Write(crc);
    }

    private static uint MaskedCrc(byte[] data)
    {
        uint crc = TorchSharp.Utils.CRC32C.process(data);
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
    }

    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
}
