using Composer.Checkpoints;
using Composer.Core;
using Composer.Data;
using Composer.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Training;

/// <summary>The parts the generated loop is written with, each on its own.</summary>
public class TrainerPartsTests : Checkpoints.FolderTests
{
    [TestCase(null, new long[] { 6 })]
    [TestCase(6, new long[] { 6 })]
    [TestCase(4, new long[] { 4, 2 })]
    [TestCase(2, new long[] { 2, 2, 2 })]
    public void MicrobatchesSplitTheBatchInOrder(int? size, long[] expected)
    {
        using var scope = torch.NewDisposeScope();
        var batch = new Batch(torch.arange(6).reshape(6, 1).to_type(ScalarType.Float32), torch.arange(6));
        var microbatches = new Microbatches(size);

        int count = microbatches.Split(batch);

        Assert.That(count, Is.EqualTo(expected.Length));
        Assert.That(Enumerable.Range(0, count).Select(i => microbatches[i].Size), Is.EqualTo(expected));
        Assert.That(Enumerable.Range(0, count).SelectMany(i => microbatches[i].Targets.data<long>().ToArray()), Is.EqualTo(new long[] { 0, 1, 2, 3, 4, 5 }));
        Assert.That(microbatches.WholeBatch, Is.SameAs(batch));
    }

    [Test]
    public void MicrobatchLossesAreScaledByTheirShareAndSummed()
    {
        using var scope = torch.NewDisposeScope();
        var weight = torch.ones(1, requires_grad: true);
        var batch = new Batch(torch.tensor(new float[] { 1, 2, 3, 4, 5, 6 }).reshape(6, 1), torch.zeros(6));
        var microbatches = new Microbatches(4);
        int count = microbatches.Split(batch);
        for (int i = 0; i < count; i++)
            microbatches.Backward(microbatches[i], (microbatches[i].Inputs.squeeze(1) * weight).mean());

        // 4/6 · mean(1..4) + 2/6 · mean(5, 6) = mean(1..6) = 3.5, and so is the gradient of w · mean(x).
        Assert.That(microbatches.Loss.item<float>(), Is.EqualTo(3.5f).Within(1e-6));
        Assert.That(weight.grad!.item<float>(), Is.EqualTo(3.5f).Within(1e-6));
    }

    [Test]
    public void MicrobatchSizeBelowOneNamesTheOption()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Microbatches(0));
        Assert.That(error!.Message, Does.Contain("DeviceTrainMicrobatchSize"));
    }

    [Test]
    public void TheScheduleScalesEachGroupsInitialRateByTheMultipliers()
    {
        var trainer = new RecordingTrainer(new EventRecorder(), TestSetup.Options("2ep"));
        var optimizer = optim.SGD(trainer.State.Model.parameters(), 0.4);
        var schedule = new LearningRateSchedule(optimizer, [new LinearScheduler(1.0, 0.0, "1dur"), new ConstantScheduler(0.5, "1dur")], []);

        schedule.ApplyBeforeBatch(trainer.State);  // batch 0 of 6: linear 1, constant 0.5
        Assert.That(optimizer.ParamGroups.First().LearningRate, Is.EqualTo(0.4 * 1.0 * 0.5).Within(1e-12));
        trainer.Fit();                             // batch 6 of 6: linear 0
        schedule.ApplyBeforeBatch(trainer.State);
        Assert.That(optimizer.ParamGroups.First().LearningRate, Is.EqualTo(0.0).Within(1e-12));
    }

    [TestCase(false, 2)]
    [TestCase(true, 6)]
    public void ReplayStepsTorchSharpsSchedulersToTheResumedTime(bool everyBatch, int steps)
    {
        var trainer = new RecordingTrainer(new EventRecorder(), TestSetup.Options("1ep"));
        var optimizer = optim.SGD(trainer.State.Model.parameters(), 1.0);
        var schedule = new LearningRateSchedule(optimizer, [], [optim.lr_scheduler.StepLR(optimizer, 1, 0.5)], everyBatch);

        schedule.Replay(new Timestamp { Epoch = 2, Batch = 6 });

        Assert.That(optimizer.ParamGroups.First().LearningRate, Is.EqualTo(Math.Pow(0.5, steps)).Within(1e-12));
    }

    [Test]
    public void EvaluationScopeRunsExitActionsLastFirstAndRestoresTraining()
    {
        var trainer = new RecordingTrainer(new EventRecorder(), TestSetup.Options("1ep"));
        var order = new List<string>();
        trainer.State.Model.train();
        using (var scope = new EvaluationScope(trainer.State, trainer.State.Evaluators[0].Dataloader, "eval"))
        {
            Assert.That(trainer.State.Model.training, Is.False);
            Assert.That(torch.is_grad_enabled(), Is.False);
            Assert.That(trainer.State.Evaluation, Is.SameAs(scope));
            scope.OnExit(() => order.Add("first"));
            scope.OnExit(() => order.Add("second"));
        }
        Assert.That(order, Is.EqualTo(new[] { "second", "first" }));
        Assert.That(trainer.State.Model.training, Is.True);
        Assert.That(torch.is_grad_enabled(), Is.True);
        Assert.That(trainer.State.Evaluation, Is.Null);
        Assert.That(trainer.State.DataloaderLabel, Is.EqualTo("train"));
    }

    [TestCase("EvalInterval", "EvalInterval must be a time in ep, ba, sp, tok or dur")]
    [TestCase("LogInterval", "LogInterval is a number of batches")]
    [TestCase("ScaleScheduleRatio", "no Schedulers are set")]
    [TestCase("LoadWeightsOnly", "set LoadPath too")]
    [TestCase("Evaluators", "Set either EvalDataloader or Evaluators")]
    public void OptionsAreCheckedBeforeAnythingIsBuiltWithTheFix(string option, string message)
    {
        TrainerOptions o = TestSetup.Options("1ep");
        TrainerOptions bad = option switch
        {
            "EvalInterval" => Copy(o, evalInterval: Time.FromSeconds(5)),
            "LogInterval" => Copy(o, logInterval: 0),
            "ScaleScheduleRatio" => Copy(o, ratio: 2.0),
            "LoadWeightsOnly" => Copy(o, loadWeightsOnly: true),
            _ => Copy(o, evaluators: [new Evaluator("x", o.EvalDataloader!)]),
        };
        var error = Assert.Catch<ArgumentException>(() => _ = new RecordingTrainer(new EventRecorder(), bad));
        Assert.That(error!.Message, Does.Contain(message));
        Assert.That(error.ParamName, Is.EqualTo(option));
    }

    private static TrainerOptions Copy(TrainerOptions o, Time? evalInterval = null,
        int logInterval = 50, double ratio = 1.0, bool loadWeightsOnly = false, IReadOnlyList<Evaluator>? evaluators = null) => new()
    {
        Model = o.Model, TrainDataloader = o.TrainDataloader, EvalDataloader = o.EvalDataloader, MaxDuration = o.MaxDuration,
        EvalInterval = evalInterval, LogInterval = logInterval, ScaleScheduleRatio = ratio, LoadWeightsOnly = loadWeightsOnly,
        Evaluators = evaluators,
    };

    /// <summary>A source of checkpoints that is not a CheckpointSaver: autoresume asks the interface.</summary>
    public sealed class FixedCheckpoint(string? path) : Callback, IAutoresumeSource
    {
        public int Asked { get; private set; }

        public string? LatestCheckpoint(State state)
        {
            Asked++;
            return path;
        }

        [OnEvent(Event.FitEnd)]
        public void Done(State state) { }

        public bool WeightsOnly => false;
    }

    [Test]
    public void AutoresumeAsksAnyIAutoresumeSource()
    {
        string folder = Folder();
        var first = new CustomSourceTrainer(new FixedCheckpoint(null), new EventRecorder(), TestSetup.Options("2ba"));
        first.Fit();
        string path = Path.Combine(folder, "at2.ckpt");
        Checkpoint.Save(first.State, path);

        var off = new FixedCheckpoint(path);
        var fresh = new CustomSourceTrainer(off, new EventRecorder(), TestSetup.Options("1ep"));
        Assert.That((fresh.State.Timestamp.Batch, off.Asked), Is.EqualTo((0L, 0)), "Autoresume off: nothing is asked or loaded");
        var options = TestSetup.Options("1ep");
        var source = new FixedCheckpoint(path);
        var autoresumed = new CustomSourceTrainer(source, new EventRecorder(), new TrainerOptions
        {
            Model = options.Model, TrainDataloader = options.TrainDataloader, MaxDuration = options.MaxDuration,
            Optimizer = options.Optimizer, Autoresume = true,
        });
        Assert.That((autoresumed.State.Timestamp.Batch, source.Asked), Is.EqualTo((2L, 1)));
    }
}

// The recorder subscribes to all 40 events, the two iteration ones included, to check which are raised: CMP0015 is expected.
#pragma warning disable CMP0015
[Trainer(typeof(TrainerPartsTests.FixedCheckpoint), typeof(EventRecorder))]
public partial class CustomSourceTrainer;
#pragma warning restore CMP0015
