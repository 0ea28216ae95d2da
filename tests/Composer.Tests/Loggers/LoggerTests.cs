using System.Text.Json;
using Composer.Core;
using Composer.Loggers;
using Composer.Tests.Training;
using Spectre.Console;

namespace Composer.Tests.Loggers;

/// <summary>Reads the loss at every batch end, the slow way, to check what the loggers were handed.</summary>
public sealed class LossReader : Callback
{
    public List<double> Losses { get; } = [];

    [OnEvent(Event.BatchEnd)]
    public void Read(State state) => Losses.Add(state.Loss.item<float>());
}

[Trainer(typeof(LossReader), typeof(InMemoryLogger), typeof(FileLogger), typeof(TensorBoardLogger), typeof(ConsoleLogger), typeof(ProgressBarLogger))]
public partial class LoggedTrainer;

public class LoggerTests
{
    private string _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("composer-loggers-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private (LossReader Reader, InMemoryLogger Memory, string Console, string Plain, LoggedTrainer Trainer) Run(bool interactiveBar = false, int logInterval = 50)
    {
        var reader = new LossReader();
        var memory = new InMemoryLogger();
        var console = new StringWriter();
        var plain = new StringWriter();
        var barConsole = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes, Interactive = InteractionSupport.Yes, Out = new AnsiConsoleOutput(plain),
        });
        LoggedTrainer trainer;
        using (var file = new FileLogger(Path.Combine(_folder, "metrics.jsonl")))
        {
            TrainerOptions o = TestSetup.Options("2ep");
            trainer = new LoggedTrainer(reader, memory, file, new TensorBoardLogger(Path.Combine(_folder, "tb")),
                new ConsoleLogger("1ba", console), new ProgressBarLogger(interactiveBar, barConsole, plain),
                new TrainerOptions
                {
                    Model = o.Model, TrainDataloader = o.TrainDataloader, EvalDataloader = o.EvalDataloader,
                    MaxDuration = o.MaxDuration, Optimizer = o.Optimizer, Seed = 7, LogInterval = logInterval,
                });
            trainer.Fit();
        }
        return (reader, memory, console.ToString(), plain.ToString(), trainer);
    }

    [Test]
    public void TheLossReachesTheLoggersOnceFlushedWithEveryBatchsValue()
    {
        var (reader, memory, _, _, _) = Run();
        var logged = memory.Data["loss/train/total"];
        Assert.That(logged.Select(v => v.Value), Is.EqualTo(reader.Losses).Within(1e-6));
        Assert.That(logged.Select(v => v.Timestamp.Batch), Is.EqualTo(new long[] { 0, 1, 2, 3, 4, 5 }), "stamped with the batch that produced it");
    }

    [Test]
    public void FileLoggerWritesJsonLines()
    {
        var (reader, memory, _, _, _) = Run();
        var all = File.ReadAllLines(Path.Combine(_folder, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        // The trainer logs its hyperparameters first (run name, seed, ...), then the metrics.
        Assert.That(all[0].GetProperty("hyperparameters").GetProperty("run_name").GetString(), Is.Not.Empty);
        var lines = all.Where(l => l.TryGetProperty("metrics", out _)).ToList();
        var losses = lines.Where(l => l.GetProperty("metrics").TryGetProperty("loss/train/total", out _))
            .Select(l => l.GetProperty("metrics").GetProperty("loss/train/total").GetDouble()).ToList();
        Assert.That(losses, Is.EqualTo(reader.Losses).Within(1e-6));
        var accuracy = lines.Last(l => l.GetProperty("metrics").TryGetProperty("metrics/eval/Accuracy", out _));
        Assert.That(accuracy.GetProperty("epoch").GetInt64(), Is.EqualTo(2));
        Assert.That(accuracy.GetProperty("metrics").GetProperty("metrics/eval/Accuracy").GetDouble(),
            Is.EqualTo(memory.MostRecentValues["metrics/eval/Accuracy"]));
    }

    [Test]
    public void TensorBoardEventFileHoldsTheLoggedScalars()
    {
        var (reader, memory, _, _, _) = Run();
        string file = Directory.GetFiles(Path.Combine(_folder, "tb"), "events.out.tfevents.*", SearchOption.AllDirectories).Single();
        var scalars = TensorBoardEvents.ReadScalars(file);
        var losses = scalars.Where(s => s.Tag == "loss/train/total").OrderBy(s => s.Step).ToList();
        Assert.That(losses.Select(s => s.Step), Is.EqualTo(new long[] { 0, 1, 2, 3, 4, 5 }));
        Assert.That(losses.Select(s => (double)s.Value), Is.EqualTo(reader.Losses).Within(1e-6));
        Assert.That(scalars.Where(s => s.Tag == "metrics/eval/Accuracy").Select(s => (double)s.Value),
            Is.EqualTo(memory.Data["metrics/eval/Accuracy"].Select(v => v.Value)).Within(1e-6));
    }

    [Test]
    public void ConsoleLoggerPrintsTrainingAndEvaluationLines()
    {
        var (_, _, console, _, _) = Run();
        Assert.That(console, Does.Contain("[epoch=0][batch=0]: loss/train/total:"));
        Assert.That(console, Does.Contain("[epoch=2][batch=6]: metrics/eval/Accuracy:"));
    }

    [Test]
    public void ProgressBarPrintsPlainLinesWhenNotInATerminal()
    {
        var (_, _, _, plain, _) = Run(interactiveBar: false);
        string[] lines = plain.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines.Count(l => l.StartsWith("epoch ") && l.Contains(" done: ")), Is.EqualTo(2));
        Assert.That(lines.Count(l => l.StartsWith("metrics/eval/Accuracy")), Is.EqualTo(2));
        Assert.That(plain, Does.Not.Contain("\u001b["), "no escape codes where there is no terminal");
    }

    [Test]
    public void ProgressBarDrawsBarsInATerminal()
    {
        var (_, _, _, drawn, _) = Run(interactiveBar: true);
        Assert.That(drawn, Does.Contain("epoch 2"));
        Assert.That(drawn, Does.Contain("100%"));
        Assert.That(drawn, Does.Contain("samples/s"));
    }

    [Test]
    public void DeviceValuesAreReadOnlyAtFlushes()
    {
        // With a flush every 4 batches, the loggers hear of batches 0-3 at batch 4 and of 4-5 at the epoch's end.
        var (_, memory, _, _, _) = Run(logInterval: 4);
        Assert.That(memory.Data["loss/train/total"], Has.Count.EqualTo(6));
    }
}
