using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Composer.Callbacks;
using Composer.Core;
using Composer.Loggers;
using Composer.Loggers.WandB;
using Composer.Loggers.WandB.Records;
using Composer.Tests.Checkpoints;
using Composer.Tests.Training;
using TorchSharp;

namespace Composer.Tests.Loggers;

/// <summary>Logs what the W&amp;B guide's "log predictions" example logs: the evaluation's first images with truth and prediction.</summary>
public sealed class PredictionsTable : Callback
{
    public List<Composer.Loggers.LoggedImage> Images { get; } = [];

    [OnEvent(Event.EvalStart)]
    public void Clear(State state) => Images.Clear();

    [OnEvent(Event.EvalBatchEnd)]
    public void Keep(State state)
    {
        if (Images.Count > 0) return;
        // The synthetic inputs are 4 features: shown as a 2 x 2 gray image each.
        var inputs = state.Batch.Inputs.reshape(-1, 1, 2, 2).sigmoid();
        for (int i = 0; i < inputs.shape[0]; i++) Images.Add(new Composer.Loggers.LoggedImage(inputs[i], $"sample {i}"));
        Predictions = state.Outputs.argmax(1).data<long>().ToArray();
        Truth = state.Batch.Targets.data<long>().ToArray();
    }

    public long[] Predictions { get; private set; } = [];
    public long[] Truth { get; private set; } = [];

    [OnEvent(Event.EvalEnd)]
    public void Log(State state, Logger logger)
    {
        var rows = Images.Select((image, i) => (IReadOnlyList<object>)[image, Truth[i], Predictions[i]]).ToList();
        logger.LogTable("predictions", ["image", "truth", "prediction"], rows);
        logger.LogImages("first", [Images[0]]);
        Console.WriteLine($"logged {rows.Count} predictions at batch {state.Timestamp.Batch}");
    }
}

[Trainer(typeof(PredictionsTable), typeof(InMemoryLogger), typeof(WandBLogger), typeof(CheckpointSaver), typeof(Interruption))]
public partial class WandBTrainer;

public class WandBLoggerTests : FolderTests
{
    private (WandBTrainer Trainer, InMemoryLogger Memory, PredictionsTable Table, WandBLogger Wandb) Train(string folder, string checkpoints,
        bool autoresume = false, long? stopAfter = null, string duration = "2ep")
    {
        var memory = new InMemoryLogger();
        var table = new PredictionsTable();
        var wandb = new WandBLogger(project: "composer-tests", group: "ci", name: "mlp-run", entity: "team", tags: ["a", "b"],
            logArtifacts: true, initKwargs: new Dictionary<string, object>
            {
                ["config"] = new Dictionary<string, object> { ["lr"] = 0.1, ["model"] = "mlp" },
                ["notes"] = "first try", ["job_type"] = "train", ["dir"] = folder, ["mode"] = "offline",
            });
        TrainerOptions o = TestSetup.Options(duration);
        var trainer = new WandBTrainer(table, memory, wandb, new CheckpointSaver(checkpoints, saveInterval: "2ba", numCheckpointsToKeep: 1),
            new Interruption(stopAfterBatch: stopAfter), new TrainerOptions
            {
                Model = o.Model, TrainDataloader = o.TrainDataloader, EvalDataloader = o.EvalDataloader, MaxDuration = o.MaxDuration,
                Optimizer = o.Optimizer, Seed = 7, LogInterval = 1, RunName = "wandb-test", Autoresume = autoresume,
            });
        trainer.Fit();
        return (trainer, memory, table, wandb);
    }

    private static string RunFolder(string folder) => Directory.GetDirectories(Path.Combine(folder, "wandb"), "offline-run-*").Single();

    private static List<Record> Records(string runFolder) =>
        WandBRunReader.Read(Directory.GetFiles(runFolder, "run-*.wandb").Single());

    [Test]
    public void TheRunLogReadsBackCompletely()
    {
        string folder = Folder();
        var (trainer, memory, table, wandb) = Train(folder, Folder());
        string run = RunFolder(folder);
        List<Record> records = Records(run);

        Assert.That(Path.GetFileName(run), Does.Match($@"^offline-run-\d{{8}}_\d{{6}}-{wandb.RunId}$"));
        Assert.That(records.Select(r => r.Num), Is.EqualTo(Enumerable.Range(1, records.Count).Select(i => (long)i)), "numbered in order");
        Assert.That(records[0].Header.VersionInfo.Producer, Does.StartWith("Composer.NET"));

        RunRecord runRecord = records.Single(r => r.RecordTypeCase == Record.RecordTypeOneofCase.Run).Run;
        Assert.That((runRecord.Project, runRecord.RunGroup, runRecord.DisplayName, runRecord.Entity, runRecord.Notes, runRecord.JobType),
            Is.EqualTo(("composer-tests", "ci", "mlp-run", "team", "first try", "train")));
        Assert.That(runRecord.Tags, Is.EqualTo(new[] { "a", "b" }));
        Assert.That(runRecord.RunId, Is.EqualTo(wandb.RunId));
        var config = runRecord.Config.Update.Concat(records.Where(r => r.RecordTypeCase == Record.RecordTypeOneofCase.Config).SelectMany(r => r.Config.Update))
            .ToDictionary(i => i.Key, i => i.ValueJson);
        Assert.That(config["lr"], Is.EqualTo("0.1"));
        Assert.That(config["model"], Is.EqualTo("\"mlp\""));
        Assert.That(config["run_name"], Is.EqualTo("\"wandb-test\""));
        Assert.That(config["seed"], Is.EqualTo("7"));

        // Every value the trainer logged is in the history row of its batch, with _step, _runtime and _timestamp.
        var rows = records.Where(r => r.RecordTypeCase == Record.RecordTypeOneofCase.History).Select(r => r.History).ToList();
        Assert.That(rows.Select(r => r.Step.Num), Is.Ordered.Ascending.And.Unique);
        foreach ((string key, var series) in memory.Data)
        {
            foreach ((Timestamp at, double value) in series)
            {
                HistoryRecord row = rows.Single(r => r.Step.Num == at.Batch);
                Assert.That(double.Parse(row.Item.Single(i => i.Key == key).ValueJson, System.Globalization.CultureInfo.InvariantCulture),
                    Is.EqualTo(value).Within(1e-12), $"{key} at {at.Batch}");
            }
        }
        foreach (HistoryRecord row in rows)
        {
            var items = row.Item.ToDictionary(i => i.Key, i => i.ValueJson);
            Assert.That(items["_step"], Is.EqualTo(row.Step.Num.ToString()));
            Assert.That(double.Parse(items["_runtime"], System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(0));
            Assert.That(double.Parse(items["_timestamp"], System.Globalization.CultureInfo.InvariantCulture),
                Is.EqualTo(DateTimeOffset.UtcNow.ToUnixTimeSeconds()).Within(600));
        }

        var summary = records.Last(r => r.RecordTypeCase == Record.RecordTypeOneofCase.Summary).Summary.Update.ToDictionary(i => i.Key, i => i.ValueJson);
        foreach ((string key, double value) in memory.MostRecentValues)
            Assert.That(double.Parse(summary[key], System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(value).Within(1e-12), key);
        Assert.That(summary["_step"], Is.EqualTo(rows.Last().Step.Num.ToString()));

        // The table: W&B's table-file in files/, its image cells image-files whose PNGs hold the pixels logged.
        var tableValue = JsonDocument.Parse(rows.Last(r => r.Item.Any(i => i.Key == "predictions")).Item.Single(i => i.Key == "predictions").ValueJson).RootElement;
        Assert.That(tableValue.GetProperty("_type").GetString(), Is.EqualTo("table-file"));
        string tablePath = Path.Combine(run, "files", tableValue.GetProperty("path").GetString()!);
        byte[] tableBytes = File.ReadAllBytes(tablePath);
        Assert.That(tableValue.GetProperty("sha256").GetString(), Is.EqualTo(Convert.ToHexString(SHA256.HashData(tableBytes)).ToLowerInvariant()));
        var tableJson = JsonDocument.Parse(tableBytes).RootElement;
        Assert.That(tableJson.GetProperty("columns").EnumerateArray().Select(c => c.GetString()), Is.EqualTo(new[] { "image", "truth", "prediction" }));
        var data = tableJson.GetProperty("data").EnumerateArray().ToList();
        Assert.That(data, Has.Count.EqualTo(table.Images.Count));
        for (int i = 0; i < data.Count; i++)
        {
            var cells = data[i].EnumerateArray().ToList();
            Assert.That(cells[1].GetInt64(), Is.EqualTo(table.Truth[i]));
            Assert.That(cells[2].GetInt64(), Is.EqualTo(table.Predictions[i]));
            Assert.That(cells[0].GetProperty("_type").GetString(), Is.EqualTo("image-file"));
            byte[] png = File.ReadAllBytes(Path.Combine(run, "files", cells[0].GetProperty("path").GetString()!));
            Assert.That(DecodePng(png), Is.EqualTo((2, 2, table.Images[i].Pixels)), $"image {i}");
        }
        var files = records.Where(r => r.RecordTypeCase == Record.RecordTypeOneofCase.Files).SelectMany(r => r.Files.Files).Select(f => f.Path).ToList();
        Assert.That(files, Does.Contain(tableValue.GetProperty("path").GetString()).And.Contain("config.yaml").And.Contain("output.log").And.Contain("wandb-metadata.json"));

        // Checkpoints as model artifacts: digests recomputed here from the staged file.
        var artifacts = records.Where(r => r.RecordTypeCase == Record.RecordTypeOneofCase.Artifact).Select(r => r.Artifact).ToList();
        Assert.That(artifacts.Select(a => a.Name), Is.EqualTo(new[] { "wandb-test.checkpoints.ep0-ba2.ckpt", "wandb-test.checkpoints.ep1-ba4.ckpt", "wandb-test.checkpoints.ep1-ba6.ckpt" }));
        ArtifactRecord last = artifacts[^1];
        Assert.That((last.Type, last.RunId, last.Project), Is.EqualTo(("model", wandb.RunId, "composer-tests")));
        Assert.That(last.Aliases, Is.EqualTo(new[] { "latest", "ep1-ba6" }));
        ArtifactManifestEntry entry = last.Manifest.Contents.Single();
        byte[] staged = File.ReadAllBytes(entry.LocalPath);
        Assert.That((entry.Path, entry.Size), Is.EqualTo(("ep1-ba6.ckpt", staged.LongLength)));
        Assert.That(entry.Digest, Is.EqualTo(Convert.ToBase64String(MD5.HashData(staged))));
        string manifestText = $"wandb-artifact-manifest-v1\n{entry.Path}:{entry.Digest}\n";
        Assert.That(last.Digest, Is.EqualTo(Convert.ToHexString(MD5.HashData(System.Text.Encoding.UTF8.GetBytes(manifestText))).ToLowerInvariant()));

        // The console output is kept, and the run ends with an exit record.
        var output = records.Where(r => r.RecordTypeCase == Record.RecordTypeOneofCase.Output).Select(r => r.Output.Line).ToList();
        Assert.That(output, Does.Contain("logged 2 predictions at batch 3\n"));
        Assert.That(File.ReadAllText(Path.Combine(run, "files", "output.log")), Does.Contain("logged 2 predictions at batch 6"));
        Assert.That(File.ReadAllText(Path.Combine(run, "files", "config.yaml")), Does.StartWith("wandb_version: 1").And.Contain("lr:\n  desc: \n  value: 0.1"));
        Assert.That(records[^2].Exit.ExitCode, Is.EqualTo(0));
        Assert.That(records[^1].RecordTypeCase, Is.EqualTo(Record.RecordTypeOneofCase.Final));
    }

    [Test]
    public void TheMnistSampleWithWandbWritesARunWithTheGuidesPredictionsTable()
    {
        string folder = Folder();
        string sample = Samples.SampleCommandLineTests.Sample("Mnist");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { sample, "--recipe", "baseline", "--target", "0.5", "--wandb" }) start.ArgumentList.Add(a);
        start.Environment.Remove("WANDB_MODE");
        using (var process = System.Diagnostics.Process.Start(start)!)
        {
            string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            Assert.That(process.WaitForExit(TimeSpan.FromMinutes(2)) && process.ExitCode == 0, Is.True, output);
        }
        string run = RunFolder(folder);
        List<Record> records = Records(run);
        Assert.That(records.Single(r => r.Run is not null).Run.Project, Is.EqualTo("composer-net-mnist"));
        Assert.That(records.Where(r => r.History is not null).SelectMany(r => r.History.Item).Select(i => i.Key),
            Does.Contain("loss/train/total").And.Contain("metrics/test/Accuracy"));
        var value = JsonDocument.Parse(records.Where(r => r.History is not null).SelectMany(r => r.History.Item)
            .Single(i => i.Key == "predictions").ValueJson).RootElement;
        var table = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(run, "files", value.GetProperty("path").GetString()!))).RootElement;
        var rows = table.GetProperty("data").EnumerateArray().ToList();
        Assert.That(rows, Has.Count.EqualTo(100), "100 test digits");
        foreach (var row in rows)
        {
            var cells = row.EnumerateArray().ToList();
            Assert.That(cells[1].GetInt64(), Is.InRange(0, 9));
            Assert.That(cells[2].GetInt64(), Is.InRange(0, 9));
            byte[] png = File.ReadAllBytes(Path.Combine(run, "files", cells[0].GetProperty("path").GetString()!));
            Assert.That(DecodePng(png).Width, Is.EqualTo(28));
        }
        Assert.That(records[^2].Exit.ExitCode, Is.EqualTo(0));
    }

    [Test]
    public void ADamagedOrTruncatedLogIsDetected()
    {
        string folder = Folder();
        Train(folder, Folder(), duration: "1ep");
        string log = Directory.GetFiles(RunFolder(folder), "run-*.wandb").Single();
        byte[] bytes = File.ReadAllBytes(log);
        Assert.That(WandBRunReader.Read(log), Is.Not.Empty);

        byte[] damaged = (byte[])bytes.Clone();
        damaged[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(log, damaged);
        Assert.That(() => WandBRunReader.Read(log), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("checksum mismatch"));

        File.WriteAllBytes(log, bytes[..(bytes.Length - 3)]);
        Assert.That(() => WandBRunReader.Read(log), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("truncated"));
    }

    [Test]
    public void ARecordLargerThanABlockIsSplitAndReassembled()
    {
        string folder = Folder();
        var wandb = new WandBLogger(initKwargs: new Dictionary<string, object>
        {
            ["dir"] = folder, ["mode"] = "offline", ["config"] = new Dictionary<string, object> { ["notes"] = new string('x', 100_000) },
        });
        TrainerOptions o = TestSetup.Options("1ba", withEval: false);
        new OnlyWandBTrainer(wandb, o).Fit();
        var run = Records(RunFolder(folder)).Single(r => r.RecordTypeCase == Record.RecordTypeOneofCase.Run).Run;
        Assert.That(run.Config.Update.Single(i => i.Key == "notes").ValueJson, Is.EqualTo($"\"{new string('x', 100_000)}\""));
    }

    [Test]
    public void AnAutoresumedRunContinuesTheSameWandBRun()
    {
        string folder = Folder(), checkpoints = Folder();
        var (_, _, _, first) = Train(folder, checkpoints, autoresume: true, stopAfter: 4);
        var (_, _, _, second) = Train(folder, checkpoints, autoresume: true);

        Assert.That(second.RunId, Is.EqualTo(first.RunId), "the id comes back with the checkpoint");
        string[] runs = Directory.GetDirectories(Path.Combine(folder, "wandb"), "offline-run-*").Order().ToArray();
        Assert.That(runs, Has.Length.EqualTo(2), "one folder per session, as W&B's offline resume writes");
        Assert.That(runs, Does.Contain(first.RunFolder).And.Contain(second.RunFolder));
        RunRecord resumed = Records(second.RunFolder!).Single(r => r.RecordTypeCase == Record.RecordTypeOneofCase.Run).Run;
        Assert.That((resumed.RunId, resumed.Resumed, resumed.StartingStep), Is.EqualTo((first.RunId, true, 4L)));
    }

    [Test]
    public void OnlineWithoutTheWandbCommandStaysOfflineAndSaysHowToSync()
    {
        string folder = Folder();
        string? path = Environment.GetEnvironmentVariable("PATH");
        TextWriter error = Console.Error;
        var captured = new StringWriter();
        try
        {
            Environment.SetEnvironmentVariable("PATH", "/nonexistent");
            Console.SetError(captured);
            var wandb = new WandBLogger(initKwargs: new Dictionary<string, object> { ["dir"] = folder, ["mode"] = "online" });
            new OnlyWandBTrainer(wandb, TestSetup.Options("1ba", withEval: false)).Fit();
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
            Console.SetError(error);
        }
        Assert.That(captured.ToString(), Does.Contain($"wandb sync {RunFolder(folder)}").And.Contain("pip install wandb"));
    }

    [Test]
    public void UnknownInitKwargsAndModesNameTheAcceptedOnes()
    {
        var error = Assert.Throws<ArgumentException>(() => new WandBLogger(initKwargs: new Dictionary<string, object> { ["reinit"] = true }));
        Assert.That(error!.Message, Does.Contain("reinit").And.Contain("config, notes, job_type, dir, id, resume, mode"));
        error = Assert.Throws<ArgumentException>(() => new WandBLogger(initKwargs: new Dictionary<string, object> { ["mode"] = "shared" }));
        Assert.That(error!.Message, Does.Contain("offline, online, disabled"));
    }

    // Width, height and the pixels of an 8-bit gray PNG without filters, decoded from its chunks.
    private static (int Width, int Height, byte[] Pixels) DecodePng(byte[] png)
    {
        Assert.That(png[..8], Is.EqualTo(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }));
        int width = 0, height = 0;
        var idat = new MemoryStream();
        for (int at = 8; at < png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            string type = System.Text.Encoding.ASCII.GetString(png, at + 4, 4);
            byte[] body = png[(at + 8)..(at + 8 + length)];
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length));
            Assert.That(System.IO.Hashing.Crc32.HashToUInt32(png.AsSpan(at + 4, 4 + length)), Is.EqualTo(crc), type);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(body);
                height = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(4));
            }
            if (type == "IDAT") idat.Write(body);
            at += 12 + length;
        }
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(new MemoryStream(idat.ToArray()), CompressionMode.Decompress)) zlib.CopyTo(inflated);
        byte[] rows = inflated.ToArray();
        var pixels = new List<byte>();
        for (int row = 0; row < height; row++)
        {
            Assert.That(rows[row * (width + 1)], Is.EqualTo(0), "filter none");
            pixels.AddRange(rows.AsSpan(row * (width + 1) + 1, width).ToArray());
        }
        return (width, height, pixels.ToArray());
    }
}

[Trainer(typeof(WandBLogger))]
public partial class OnlyWandBTrainer;
