using System.Globalization;
using Composer.Core;
using Spectre.Console;

namespace Composer.Loggers;

/// <summary>
/// Shows training progress, like <c>composer.loggers.ProgressBarLogger</c>: in a terminal, a Spectre.Console
/// bar for the run and one for the epoch, with the loss, the throughput and the time left; where output is
/// not a terminal (redirected, or under CI), one plain line per epoch and per evaluation instead.
/// </summary>
/// <remarks>The loss shown is the last one the logger was handed, so it updates every <see cref="TrainerOptions.LogInterval"/> batches.</remarks>
public sealed class ProgressBarLogger : LoggerDestination
{
    private readonly IAnsiConsole _console;
    private readonly TextWriter _plain;
    private TaskCompletionSource? _finished;
    private Task? _rendering;
    private ProgressTask? _run;
    private ProgressTask? _epoch;
    private double _loss = double.NaN;
    private long _epochStartSample;
    private TimeSpan _epochStartClock;

    /// <summary>Creates the logger.</summary>
    /// <param name="interactive">Draw bars (true) or print lines (false); by default bars only when the console is an interactive terminal and <c>CI</c> is not set.</param>
    /// <param name="console">The console to draw on; <see cref="AnsiConsole.Console"/> by default.</param>
    /// <param name="plainOutput">Where plain lines go; the console's output by default.</param>
    public ProgressBarLogger(bool? interactive = null, IAnsiConsole? console = null, TextWriter? plainOutput = null)
    {
        _console = console ?? AnsiConsole.Console;
        _plain = plainOutput ?? Console.Out;
        Interactive = interactive ?? (_console.Profile.Capabilities.Interactive && !Console.IsOutputRedirected
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")));
    }

    /// <summary>Whether bars are drawn rather than plain lines printed.</summary>
    public bool Interactive { get; }

    /// <summary>Starts the bars.</summary>
    [OnEvent(Event.FitStart)]
    public void Start(State state)
    {
        if (!Interactive) return;
        _finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Spectre draws from its own loop; the events only move the tasks.
        _rendering = _console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                _run = context.AddTask("run", maxValue: 1.0);
                _epoch = context.AddTask("epoch", maxValue: Math.Max(1, state.TrainDataloader.Count));
                ready.SetResult();
                await _finished.Task.ConfigureAwait(false);
            });
        ready.Task.Wait();
    }

    /// <summary>Resets the epoch's bar.</summary>
    [OnEvent(Event.EpochStart)]
    public void StartEpoch(State state)
    {
        _epochStartSample = state.Timestamp.Sample;
        _epochStartClock = state.Timestamp.TotalWallClock;
        if (_epoch is null) return;
        _epoch.Value = 0;
        _epoch.Description = $"epoch {state.Timestamp.Epoch + 1}";
    }

    /// <summary>Moves the bars.</summary>
    [OnEvent(Event.BatchEnd)]
    public void Advance(State state)
    {
        if (_run is null || _epoch is null) return;
        _run.Value = state.Progress;
        _epoch.Value = state.Timestamp.BatchInEpoch;
        _epoch.Description = string.Create(CultureInfo.InvariantCulture,
            $"epoch {state.Timestamp.Epoch + 1} · loss {_loss:F4} · {Throughput(state):F0} samples/s");
    }

    /// <summary>Prints the epoch's line when not drawing bars.</summary>
    [OnEvent(Event.EpochEnd)]
    public void FinishEpoch(State state)
    {
        if (Interactive) return;
        Timestamp t = state.Timestamp;
        _plain.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"epoch {t.Epoch} done: batch {t.Batch}, loss {_loss:F4}, {Throughput(state):F0} samples/s, {(t.TotalWallClock - _epochStartClock).TotalSeconds:F1} s, {state.Progress:P0} of the run"));
    }

    /// <summary>Stops the bars.</summary>
    [OnEvent(Event.FitEnd)]
    public void Finish(State state)
    {
        if (_finished is null) return;
        if (_run is not null) _run.Value = 1.0;
        _finished.SetResult();
        _rendering!.Wait();
        _finished = null;
        _run = _epoch = null;
    }

    /// <inheritdoc/>
    public override void LogMetrics(Timestamp timestamp, IReadOnlyDictionary<string, double> metrics)
    {
        if (metrics.TryGetValue("loss/train/total", out double loss)) _loss = loss;
        foreach ((string name, double value) in metrics)
        {
            if (!name.StartsWith("metrics/", StringComparison.Ordinal)) continue;
            string line = string.Create(CultureInfo.InvariantCulture, $"{name} {value:F4} at batch {timestamp.Batch}");
            if (Interactive) _console.MarkupLine(Markup.Escape(line));
            else _plain.WriteLine(line);
        }
    }

    private double Throughput(State state)
    {
        double seconds = (state.Timestamp.TotalWallClock - _epochStartClock).TotalSeconds;
        return seconds > 0 ? (state.Timestamp.Sample - _epochStartSample) / seconds : 0;
    }
}
