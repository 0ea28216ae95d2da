using Composer.Checkpoints;
using Composer.Tests.Checkpoints;
using static Composer.Tests.Distributed.MpiRun;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Distributed;

/// <summary>
/// Data parallelism across real processes under mpirun -np 2 (Open MPI), checked against one process: the worker
/// trains an MLP with SGD momentum and EMA on 512 shuffled samples for 2 epochs, evaluating on 203.
/// </summary>
[NonParallelizable]
public class DistributedTests : FolderTests
{
    [SetUp]
    public void NeedsMpi() => RequireMpi();

    [Test]
    public void TheCollectivesCombineEveryRanksValues()
    {
        Outcome run = Run(2, "collectives");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.Output);
        Assert.That(run.Ranks, Has.Count.EqualTo(2));
        foreach (var rank in run.Ranks)
        {
            Assert.That(Floats(rank, "sum"), Is.EqualTo(new[] { 3f, 30f }), "all-reduce sum of 1 and 2, 10 and 20");
            Assert.That(rank.GetProperty("mean").GetDouble(), Is.EqualTo(0.5));
            Assert.That(rank.GetProperty("max").GetInt64(), Is.EqualTo(7));
            Assert.That(Floats(rank, "broadcast"), Is.EqualTo(new[] { 3.5f, 4.5f }), "rank 0's values");
            Assert.That(Floats(rank, "gathered"), Is.EqualTo(new[] { 0f, 0.5f, 1f, 1.5f }), "in rank order");
        }
        // [0 1 2 3] + [1 2 3 4] = [1 3 5 7]: rank 0 keeps the first block, rank 1 the second.
        Assert.That(Floats(run.Ranks[0], "block"), Is.EqualTo(new[] { 1f, 3f }));
        Assert.That(Floats(run.Ranks[1], "block"), Is.EqualTo(new[] { 5f, 7f }));
    }

    [Test]
    public void MetricsSynchronizedOverRanksEqualTheMetricOverAllTheData()
    {
        Outcome run = Run(2, "metrics");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.Output);
        string[] names = ["BinaryF1Score", "BinaryAUROC", "MulticlassF1Score", "MatthewsCorrCoef", "MulticlassAUROC",
            "LanguageCrossEntropy", "MaskedAccuracy", "MIoU"];
        foreach (var rank in run.Ranks)
            foreach (string name in names)
            {
                double[] values = [.. rank.GetProperty(name).EnumerateArray().Select(v => v.GetDouble())];
                // Float32 losses summed in another order differ in the seventh digit.
                Assert.That(values[0], Is.EqualTo(values[1]).Within(1e-6 * Math.Abs(values[1])), $"{name} on rank {rank.GetProperty("rank")}");
                Assert.That(values[1], Is.Not.EqualTo(0), $"{name} is not trivially 0");
            }
    }

    [Test]
    public void BestCheckpointsDecideAlikeOnEveryRankAndEveryRankEndsWithTheBestWeights()
    {
        string kept = Folder();
        Outcome run = Run(2, "best", $"folder={kept}");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.Output);
        string[][] lists = [.. run.Ranks.Select(r => r.GetProperty("best").EnumerateArray().Select(v => v.GetString()!).ToArray())];
        Assert.That(lists[0], Has.Length.EqualTo(2));
        Assert.That(lists[1], Is.EqualTo(lists[0]), "the same best two on both ranks");
        string folder = Path.Combine(kept, "best");
        string bestFile = lists[0][0].Split('=')[0];
        Assert.That(Directory.GetFiles(folder).Select(Path.GetFileName), Is.EquivalentTo(lists[0].Select(l => l.Split('=')[0]).Append("best.ckpt")));
        // Both ranks end with the weights rank 0 read from the best file and broadcast.
        torch.manual_seed(0);
        var fresh = new Composer.Models.ComposerClassifier(nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4)), numClasses: 4);
        Composer.Checkpoints.Checkpoint.Read(Path.Combine(folder, bestFile)).LoadModel(fresh);
        float[] expected = [.. fresh.parameters().SelectMany(p => p.data<float>().ToArray())];
        foreach (var rank in run.Ranks)
            Assert.That(Floats(rank, "weights"), Is.EqualTo(expected), $"rank {rank.GetProperty("rank")}");
    }

    [Test]
    public void UnderTwoProcessesMLflowHasOneRunAndTheSystemMonitorNeverWaitsForAMissingRank()
    {
        string folder = Folder();
        Outcome run = Run(2, "trackers", $"folder={folder}");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.Output);
        Assert.That(run.Ranks.Select(r => r.GetProperty("runId").GetString()), Is.EqualTo(new[] { run.Ranks[0].GetProperty("runId").GetString(), "" }),
            "rank 0 alone started a run");
        string experiment = Directory.GetDirectories(Path.Combine(folder, "mlruns")).Single(d => Path.GetFileName(d) is not ("0" or ".trash"));
        Assert.That(Directory.GetDirectories(experiment), Has.Length.EqualTo(1), "one run folder");
        // Rank 0 logs: 8 training batches (4 of 8 samples a rank, 2 epochs) and its evaluation batches.
        Assert.That(run.Ranks[0].GetProperty("cpuReadings").GetInt32(), Is.GreaterThanOrEqualTo(8));
    }

    [Test]
    public void TwoProcessesOfBatch32EqualOneProcessOfBatch64()
    {
        Outcome alone = Run(null, "train", "batch=64");
        Outcome pair = Run(2, "train", "batch=32");
        Assert.That(alone.ExitCode, Is.EqualTo(0), alone.Output);
        Assert.That(pair.ExitCode, Is.EqualTo(0), pair.Output);
        var single = alone.Ranks.Single();
        foreach (var rank in pair.Ranks)
        {
            Assert.That(MaxDifference(Floats(rank, "weights"), Floats(single, "weights")), Is.LessThan(1e-6), "weights");
            Assert.That(MaxDifference(Floats(rank, "average"), Floats(single, "average")), Is.LessThan(1e-6), "EMA's average");
            Assert.That(rank.GetProperty("samples").GetInt64(), Is.EqualTo(1024), "samples counted over both ranks");
            Assert.That(rank.GetProperty("batches").GetInt64(), Is.EqualTo(16));
            Assert.That(rank.GetProperty("shardOf").GetInt64(), Is.EqualTo(256), "each rank reads half of each epoch");
            Assert.That(rank.GetProperty("accuracy").GetDouble(), Is.EqualTo(single.GetProperty("accuracy").GetDouble()),
                "accuracy over both ranks' halves of the 203 evaluation samples");
        }
        Assert.That(Floats(pair.Ranks[0], "weights"), Is.EqualTo(Floats(pair.Ranks[1], "weights")), "the ranks agree bitwise");
    }

    [Test]
    public void SamsSecondPassIsAveragedTooSoTheRanksMatchOneProcess()
    {
        Outcome alone = Run(null, "train", "batch=64", "sam=true");
        Outcome pair = Run(2, "train", "batch=32", "sam=true");
        Assert.That(pair.ExitCode, Is.EqualTo(0), pair.Output);
        Assert.That(Floats(pair.Ranks[0], "weights"), Is.EqualTo(Floats(pair.Ranks[1], "weights")), "the ranks agree bitwise");
        Assert.That(MaxDifference(Floats(pair.Ranks[0], "weights"), Floats(alone.Ranks[0], "weights")), Is.LessThan(1e-5));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void UnderAmpBf16TwoProcessesAgreeBitwiseAndStayCloseToOneProcess(bool sharded)
    {
        Outcome alone = Run(null, "train", "batch=64", "optimizer=adam", "precision=amp_bf16");
        Outcome pair = Run(2, "train", "batch=32", "optimizer=adam", "precision=amp_bf16", $"sharded={(sharded ? "true" : "false")}");
        Assert.That(pair.ExitCode, Is.EqualTo(0), pair.Output);
        Assert.That(Floats(pair.Ranks[0], "weights"), Is.EqualTo(Floats(pair.Ranks[1], "weights")), "the ranks agree bitwise");
        // Each rank's bfloat16 forward sees half the batch; the float32 gradients are averaged, so only rounding differs.
        Assert.That(MaxDifference(Floats(pair.Ranks[0], "weights"), Floats(alone.Ranks[0], "weights")), Is.LessThan(2e-2));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void ChannelsLastConvolutionsTrainUnderTwoProcessesAsInOne(bool sharded)
    {
        Outcome alone = Run(null, "train", "batch=64", "model=cnn");
        Outcome pair = Run(2, "train", "batch=32", "model=cnn", "channelsLast=true", $"sharded={(sharded ? "true" : "false")}");
        Assert.That(pair.ExitCode, Is.EqualTo(0), pair.Output);
        foreach (var rank in pair.Ranks)
        {
            Assert.That(rank.GetProperty("channelsLast").EnumerateArray().Select(e => e.GetBoolean()), Is.EqualTo(new[] { true }),
                "the convolution's weight is still channels-last after averaging the gradients and gathering the weights");
            Assert.That(MaxDifference(Floats(rank, "weights"), Floats(alone.Ranks[0], "weights")), Is.LessThan(1e-5));
        }
        Assert.That(Floats(pair.Ranks[0], "weights"), Is.EqualTo(Floats(pair.Ranks[1], "weights")), "the ranks agree bitwise");
    }

    [Test]
    public void AShardedOptimizerGivesTheSameWeightsWithLessStatePerRank()
    {
        Outcome plain = Run(2, "train", "batch=32", "optimizer=adam");
        Outcome sharded = Run(2, "train", "batch=32", "optimizer=adam", "sharded=true");
        Assert.That(sharded.ExitCode, Is.EqualTo(0), sharded.Output);
        for (int r = 0; r < 2; r++)
            Assert.That(MaxDifference(Floats(sharded.Ranks[r], "weights"), Floats(plain.Ranks[r], "weights")), Is.LessThan(1e-6));
        long whole = plain.Ranks[0].GetProperty("optimizerStateBytes").GetInt64();
        long[] parts = sharded.Ranks.Select(r => r.GetProperty("optimizerStateBytes").GetInt64()).ToArray();
        Assert.That(parts, Has.All.LessThan(whole * 0.7), $"each rank keeps part of Adam's {whole} bytes: {string.Join(", ", parts)}");
    }

    [TestCase(false, "fp32", false)]
    [TestCase(true, "fp32", false)]
    [TestCase(false, "amp_bf16", false)]
    [TestCase(true, "amp_bf16", true)]
    public void AKilledRunAutoresumesToTheWeightsOfAnUninterruptedOne(bool sharded, string precision, bool channelsLast)
    {
        string[] common = ["batch=32", "optimizer=adam", $"sharded={(sharded ? "true" : "false")}", $"precision={precision}",
            .. channelsLast ? new[] { "model=cnn", "channelsLast=true" } : []];
        Outcome whole = Run(2, "train", [.. common, $"checkpoints={Folder()}"]);
        string folder = Folder();
        // Both ranks fail inside batch 7; the last checkpoint was after batch 4.
        Outcome killed = Run(2, "train", [.. common, $"checkpoints={folder}", "failBatch=7"]);
        Assert.That(killed.ExitCode, Is.Not.EqualTo(0));
        Assert.That(Checkpoint.Read(Path.Combine(folder, "latest.ckpt")).Timestamp!.Value.Batch, Is.EqualTo(4));
        Outcome resumed = Run(2, "train", [.. common, $"checkpoints={folder}"]);

        Assert.That(resumed.ExitCode, Is.EqualTo(0), resumed.Output);
        for (int r = 0; r < 2; r++)
            Assert.That(Floats(resumed.Ranks[r], "weights"), Is.EqualTo(Floats(whole.Ranks[r], "weights")), $"rank {r}, bitwise");
    }

    [Test]
    public void ATwoProcessCheckpointLoadsItsWeightsInOneProcessAndRefusesAFullResume()
    {
        string folder = Folder();
        Outcome pair = Run(2, "train", "batch=32", $"checkpoints={folder}");
        Assert.That(pair.ExitCode, Is.EqualTo(0), pair.Output);
        string latest = Path.Combine(folder, "latest.ckpt");
        Assert.That(Checkpoint.Read(latest).WorldSize, Is.EqualTo(2));

        var model = new Composer.Models.ComposerClassifier(
            TorchSharp.torch.nn.Sequential(TorchSharp.torch.nn.Linear(8, 16), TorchSharp.torch.nn.ReLU(), TorchSharp.torch.nn.Linear(16, 4)), numClasses: 4);
        Checkpoint.Read(latest).LoadModel(model);
        float[] loaded = model.parameters().SelectMany(p => p.detach().data<float>().ToArray()).ToArray();
        Assert.That(loaded, Is.EqualTo(Floats(pair.Ranks[0], "weights")));

        var options = Training.TestSetup.Options("1ep");
        var error = Assert.Throws<CheckpointException>(() => _ = new Training.RecordingTrainer(new Training.EventRecorder(), new TrainerOptions
        {
            Model = model, TrainDataloader = options.TrainDataloader, MaxDuration = options.MaxDuration, LoadPath = latest,
        }));
        Assert.That(error!.Message, Does.Contain("saved by 2 process(es)").And.Contain("mpirun -np 2").And.Contain("LoadWeightsOnly"));
    }

    [Test]
    public void WandBWritesOneRunFromRankZeroOnly()
    {
        string folder = Folder();
        Outcome pair = Run(2, "train", "batch=32", $"wandb={folder}");
        Assert.That(pair.ExitCode, Is.EqualTo(0), pair.Output);
        string run = Directory.GetDirectories(Path.Combine(folder, "wandb"), "offline-run-*").Single();
        var records = Loggers.WandBRunReader.Read(Directory.GetFiles(run, "run-*.wandb").Single());
        var config = records.Single(r => r.Run is not null).Run.Config.Update.ToDictionary(i => i.Key, i => i.ValueJson);
        Assert.That(config["world_size"], Is.EqualTo("2"));
        var accuracy = records.Where(r => r.History is not null).SelectMany(r => r.History.Item).Where(i => i.Key == "metrics/eval/Accuracy").ToList();
        Assert.That(accuracy, Has.Count.EqualTo(2), "each epoch's evaluation once, not once per rank");
    }

    [Test]
    public void ARankThatThrowsStopsEveryRankWithAClearMessage()
    {
        Outcome run = Run(2, "train", "batch=32", "failRank=1", "failBatch=3");
        Assert.That(run.ExitCode, Is.Not.EqualTo(0));
        Assert.That(run.Output, Does.Contain("rank 1 of 2 failed").And.Contain("simulated failure in batch 3 on rank 1"));
        Assert.That(run.Output, Does.Contain("stopping all 2 ranks"));
        Assert.That(run.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)), "no rank waits forever");
    }
}
