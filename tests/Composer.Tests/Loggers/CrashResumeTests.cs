using System.Text.Json;
using Composer.Loggers.WandB.Records;
using Composer.Tests.Checkpoints;
using static Composer.Tests.Distributed.MpiRun;

namespace Composer.Tests.Loggers;

/// <summary>
/// A run killed with SIGKILL twice (after batches 45 and 90 of 128, checkpoints every 10 batches) and autoresumed each time,
/// against the same run uninterrupted: W&amp;B, the JSON-lines file and TensorBoard must hold every logged value of
/// every step, once, with the resumed run's values in place of what the killed run wrote after its last checkpoint.
/// The worker program (tests/Composer.Distributed.Worker, scenario "logs") runs alone, without MPI.
/// </summary>
[NonParallelizable]
public class CrashResumeTests : FolderTests
{
    private static string? _whole, _crashed;

    [OneTimeSetUp]
    public void KillAndResume()
    {
        Assert.That(File.Exists(Worker), Is.True, $"the worker is built beside the tests: {Worker}");
        _whole = Directory.CreateTempSubdirectory("composer-whole-").FullName;
        _crashed = Directory.CreateTempSubdirectory("composer-crashed-").FullName;
        Outcome whole = Run(null, "logs", $"folder={_whole}");
        Assert.That(whole.ExitCode, Is.EqualTo(0), whole.Output);
        Outcome first = Run(null, "logs", $"folder={_crashed}", "killAt=45");
        Outcome second = Run(null, "logs", $"folder={_crashed}", "killAt=90");
        Outcome last = Run(null, "logs", $"folder={_crashed}");
        Assert.That((first.ExitCode, second.ExitCode), Is.EqualTo((137, 137)), "killed by SIGKILL: " + first.Output + second.Output);
        Assert.That(last.ExitCode, Is.EqualTo(0), last.Output);
        Assert.That(last.Ranks.Single().GetProperty("batches").GetInt64(), Is.EqualTo(128));
        _wholeRank = whole.Ranks.Single();
        _lastRank = last.Ranks.Single();
    }

    private static System.Text.Json.JsonElement _wholeRank, _lastRank;

    [Test]
    public void CheckpointedFieldsOfAGivenCallbackSurviveTwoKillsBitwise()
    {
        // Killed after batches 45 and 90, resumed from batches 40 and 80: the count and the loss sum come back from the
        // checkpoints, with no state code, and end as the uninterrupted run's.
        Assert.That(_lastRank.GetProperty("tallyBatches").GetInt64(), Is.EqualTo(128));
        Assert.That(_lastRank.GetProperty("tallySumBits").GetInt32(), Is.EqualTo(_wholeRank.GetProperty("tallySumBits").GetInt32()));
    }

    [OneTimeTearDown]
    public void RemoveRuns()
    {
        foreach (string? folder in new[] { _whole, _crashed })
            if (folder is not null && Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    [Test]
    public void WandBHistoryHasEveryStepOnceWithTheResumedRowsSupersedingTheKilledOnes()
    {
        var uninterrupted = WandBRuns(_whole!).Single();
        var runs = WandBRuns(_crashed!);
        Assert.That(runs, Has.Count.EqualTo(3), "the killed runs and the last one, each its own folder of one W&B run");
        Assert.That(runs.Select(r => r.Id).Distinct().Count(), Is.EqualTo(1), "the resumed runs continue the same W&B run");
        // The reruns resume from the checkpoints of batches 40 and 80 (the kill after batch 90 comes before its
        // checkpoint). A batch's loss is logged at the step before it ends, so the row still open at the checkpoint of
        // batch 40 is step 39's: the checkpoint keeps it, the killed run's log holds every row before it, and the
        // resumed run writes it first.
        Assert.That((runs[1].Rows.Keys.Min(), runs[2].Rows.Keys.Min()), Is.EqualTo((39L, 79L)));
        Assert.That(runs[0].Rows.Keys.Max(), Is.GreaterThanOrEqualTo(38));
        Assert.That(runs[1].Rows.Keys.Max(), Is.GreaterThanOrEqualTo(78));

        // As wandb sync shows them: the later run's row of a step replaces the earlier one's.
        var merged = new SortedDictionary<long, Dictionary<string, string>>();
        foreach (var run in runs)
            foreach ((long step, var row) in run.Rows)
                merged[step] = row;
        Assert.That(merged.Keys, Is.EqualTo(uninterrupted.Rows.Keys), "every step of the uninterrupted run, none more");
        foreach ((long step, var row) in uninterrupted.Rows)
            Assert.That(merged[step], Is.EquivalentTo(row), $"the values at step {step}, bitwise");
    }

    [Test]
    public void FileLoggerHoldsEveryLineOnceAsTheUninterruptedRunWroteIt()
    {
        static List<string> Metrics(string folder) =>
            [.. File.ReadAllLines(Path.Combine(folder, "metrics.jsonl")).Where(l => JsonDocument.Parse(l).RootElement.TryGetProperty("metrics", out _))];
        List<string> whole = Metrics(_whole!);
        Assert.That(whole, Has.Count.GreaterThan(128 / 4), "a line per batch of loss and the evaluations");
        Assert.That(Metrics(_crashed!), Is.EqualTo(whole));
    }

    [Test]
    public void TensorBoardShowsEveryScalarOnceAsTheUninterruptedRunLoggedIt()
    {
        var whole = TensorBoardEvents.ReadAsTensorBoardShows(Path.Combine(_whole!, "tb"));
        var crashed = TensorBoardEvents.ReadAsTensorBoardShows(Path.Combine(_crashed!, "tb"));
        Assert.That(Directory.GetFiles(Path.Combine(_crashed!, "tb")), Has.Length.EqualTo(3), "a file per process");
        Assert.That(whole.Select(s => (s.Tag, s.Step)), Is.Unique);
        Assert.That(whole.Where(s => s.Tag == "loss/train/total").Select(s => s.Step), Is.EqualTo(Enumerable.Range(0, 128).Select(i => (long)i)));
        Assert.That(crashed.OrderBy(s => s.Tag).ThenBy(s => s.Step), Is.EqualTo(whole.OrderBy(s => s.Tag).ThenBy(s => s.Step)));
    }

    [Test]
    public void NoTemporaryFileIsLeftInTheCheckpointFolder()
    {
        string[] files = Directory.GetFiles(Path.Combine(_crashed!, "checkpoints")).Select(Path.GetFileName).ToArray()!;
        Assert.That(files, Is.EquivalentTo(new[] { "ep1-ba120.ckpt", "ep2-ba128.ckpt", "latest.ckpt" }));
    }

    private sealed record WandBRun(string Id, DateTime Started, SortedDictionary<long, Dictionary<string, string>> Rows);

    // Each run folder's history rows by step, without the wall-clock stamps; each step once within a folder.
    private static List<WandBRun> WandBRuns(string folder)
    {
        var runs = new List<WandBRun>();
        foreach (string run in Directory.GetDirectories(Path.Combine(folder, "wandb"), "offline-run-*"))
        {
            List<Record> records = WandBRunReader.Read(Directory.GetFiles(run, "run-*.wandb").Single());
            RunRecord header = records.Single(r => r.RecordTypeCase == Record.RecordTypeOneofCase.Run).Run;
            var rows = new SortedDictionary<long, Dictionary<string, string>>();
            foreach (HistoryRecord history in records.Where(r => r.RecordTypeCase == Record.RecordTypeOneofCase.History).Select(r => r.History))
            {
                Assert.That(rows.ContainsKey(history.Step.Num), Is.False, $"step {history.Step.Num} twice in {run}");
                rows[history.Step.Num] = history.Item.Where(i => i.Key is not ("_runtime" or "_timestamp")).ToDictionary(i => i.Key, i => i.ValueJson);
            }
            runs.Add(new WandBRun(header.RunId, header.StartTime.ToDateTime(), rows));
        }
        return [.. runs.OrderBy(r => r.Started)];
    }
}
