using Composer.Algorithms;
using Composer.Callbacks;
using Composer.Models.Transformer;
using Composer.Surgery;
using TorchSharp.Modules;
using Composer.Core;
using Composer.Data;
using Composer.Tests.Checkpoints;
using static Composer.Tests.Training.ReproducibilityTests;
using static TorchSharp.torch;

namespace Composer.Tests.Text;

public class TextTrainingTests : FolderTests
{
    // Checkpoints go to a folder the fixture removes after each test.
    private TextTrainer Trainer(TrainerOptions options, BatchWitness? witness = null, string? folder = null, long? stopAfter = null) =>
        new(witness ?? new BatchWitness(), new CheckpointSaver(folder ?? Folder(), saveInterval: "1ba"),
            new Interruption(stopAfterBatch: stopAfter), options);

    [Test]
    public void DictBatchesReachEveryEventWholeOrAsMicrobatches()
    {
        var witness = new BatchWitness();
        string folder = Folder();
        Trainer(TextSetup.Options("1ba", shuffle: false, microbatch: 2, dropout: 0, evalInterval: "1ba"), witness, folder).Fit();

        const string keys = "input_ids,labels,attention_mask";
        Assert.That(witness.Seen.Select(s => s.Keys).Distinct(), Is.EqualTo(new[] { keys }), "every event sees the named tensors");
        Event[] perMicrobatch = [Event.BeforeForward, Event.AfterForward, Event.BeforeLoss, Event.AfterLoss, Event.BeforeBackward, Event.AfterBackward];
        Assert.Multiple(() =>
        {
            foreach (Event e in perMicrobatch)
                Assert.That(witness.Seen.Where(s => s.Event == e).Select(s => s.Size), Is.EqualTo(new long[] { 2, 2 }), $"{e} per microbatch");
            foreach (Event e in new[] { Event.AfterDataloader, Event.BatchStart, Event.AfterTrainBatch, Event.BatchEnd })
                Assert.That(witness.Seen.Where(s => s.Event == e).Select(s => s.Size), Is.EqualTo(new long[] { 4 }), $"{e} whole batch");
            Assert.That(witness.Seen.Where(s => s.Event == Event.EvalBeforeForward).Select(s => s.Size), Is.EqualTo(new long[] { 6, 6 }), "evaluation");
        });
    }

    [TestCase(1)]
    [TestCase(3)] // 3 + 1: microbatches of unequal size are weighted by their size.
    public void MicrobatchedTextGradientsEqualTheFullBatchGradients(int microbatch)
    {
        Tensor[] Gradients(int? size)
        {
            var recorder = new GradientRecorder();
            new GradientTrainer(recorder, TextSetup.Options("1ba", shuffle: false, microbatch: size, dropout: 0)).Fit();
            return recorder.Gradients;
        }
        Tensor[] full = Gradients(null), micro = Gradients(microbatch);
        Assert.That(full.Length, Is.GreaterThan(10));
        Assert.That(full.Sum(g => g.abs().sum().item<float>()), Is.GreaterThan(1e-3f), "the batch has gradients");
        for (int i = 0; i < full.Length; i++)
            Assert.That(micro[i].sub(full[i]).abs().max().item<float>(), Is.LessThan(1e-6f), $"parameter {i}");
    }

    [Test]
    public void TokenDurationsCountRealTokensNotPadding()
    {
        // In order, batches hold lengths {3,1,6,2} (12 real tokens, 24 with padding) and {5,4,2,6} (17, 24).
        // A warmup in tokens too: Composer refuses warmup and tMax ("1dur", here tokens) in different units.
        TrainerOptions options = TextSetup.Options("29tok", shuffle: false, warmup: "8tok");
        TextTrainer trainer = Trainer(options);
        trainer.Fit();
        Assert.Multiple(() =>
        {
            Assert.That(trainer.State.Timestamp.Token, Is.EqualTo(TextSetup.Lengths.Take(8).Sum()));
            Assert.That(trainer.State.Timestamp.Batch, Is.EqualTo(2), "29 real tokens are two batches; counting padding would stop after one");
            Assert.That(trainer.State.Timestamp.Sample, Is.EqualTo(8));
        });
    }

    [TestCase(2)] // mid-epoch: the resumed run skips two padded batches ahead
    [TestCase(3)] // an epoch boundary
    public void APaddedTextRunStoppedAndResumedEndsBitwiseEqualToAnUninterruptedOne(int stopAfter)
    {
        TrainerOptions straightOptions = TextSetup.Options("2ep");
        Trainer(straightOptions, folder: Folder()).Fit();
        int[][] expected = straightOptions.Model.parameters().Select(p => Bits(p.detach().clone())).ToArray();

        string folder = Folder();
        Trainer(TextSetup.Options("2ep"), folder: folder, stopAfter: stopAfter).Fit();
        TrainerOptions resumedOptions = TextSetup.Options("2ep", seed: 99, autoresume: true);
        TextTrainer resumed = Trainer(resumedOptions, folder: folder);
        Assert.That(resumed.State.Timestamp.Batch, Is.EqualTo(stopAfter));
        resumed.Fit();

        Assert.That(resumed.State.Timestamp.Batch, Is.EqualTo(6));
        Assert.That(resumedOptions.Model.parameters().Select(p => Bits(p.detach().clone())).ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void TheSequenceMethodsTrainTogetherInAGeneratedTrainer()
    {
        // Under mixed precision, where Low Precision LayerNorm applies.
        TrainerOptions options = TextSetup.Options("3ep", evalInterval: "1ep") with { Precision = Precision.AmpBf16 };
        var alibi = new Alibi(maxSequenceLength: 16, trainSequenceLengthScaling: 1);
        var glu = new GatedLinearUnits();
        var lowPrecision = new LowPrecisionLayerNorm();
        var warmup = new SeqLengthWarmup(duration: 0.5, minSeqLength: 2, maxSeqLength: 8, stepSize: 2);
        // Surgery runs at Init, in the constructor: these are the new model's parameters.
        var trainer = new SequenceMethodsTrainer(alibi, glu, lowPrecision, warmup, new BatchWitness(), options);
        Parameter[] trainable = options.Model.parameters().Where(p => p.requires_grad).ToArray();
        Tensor[] before = trainable.Select(p => p.detach().clone()).ToArray();
        FitResult result = trainer.Fit();

        Assert.Multiple(() =>
        {
            Assert.That((alibi.Replaced, glu.Replaced, lowPrecision.Replaced), Is.EqualTo((1, 1, 3)));
            Assert.That(ModuleSurgery.Count<GatedFeedForward>(options.Model), Is.EqualTo(1));
            Assert.That(double.IsFinite(result.TrainLoss!.Value), Is.True);
            Assert.That(result.Metric("eval", "Accuracy"), Is.InRange(0.0, 1.0));
            // Every trainable parameter moved: the optimizer holds the new layers, and the warmup schedule's rates
            // reach the groups that surgery added.
            for (int i = 0; i < trainable.Length; i++)
                Assert.That(trainable[i].detach().sub(before[i]).abs().max().item<float>(), Is.GreaterThan(0f), $"parameter {i}");
            Assert.That(options.Optimizer!.ParamGroups.Select(g => g.LearningRate).Distinct().Count(), Is.EqualTo(1), "one schedule for every group");
            Assert.That(warmup.Length, Is.EqualTo(8), "whole sequences by the end of the warmup");
        });
    }

    [TestCase(64L)]
    [TestCase(-1L)]
    public void TokenIdsOutsideTheVocabularyNameTheKeyAndTheVocabularySize(long badId)
    {
        TrainerOptions options = TextSetup.Options("1ep", shuffle: false);
        var model = (TextClassifier)options.Model;
        var batch = new Batch([new(Batch.InputIds, tensor(new long[,] { { 3, 4, badId } })), new(Batch.Labels, tensor(new long[] { 1 }))],
            Batch.InputIds, Batch.Labels);
        var error = Assert.Throws<ArgumentException>(() => model.Forward(batch));
        Assert.That(error!.Message, Does.Contain($"'input_ids' holds the token id {badId}").And.Contain("vocabulary of 64 (ids 0 to 63)"));

        // In training, the error comes out of Fit as it is, not as libtorch's "index out of range in self".
        var data = Dataset.From<IReadOnlyDictionary<string, Tensor>>(4, i => new Dictionary<string, Tensor>
        {
            [Batch.InputIds] = tensor(new long[] { 2, i == 2 ? badId : 5 }), [Batch.Labels] = tensor((long)(i % 2)),
        });
        TextTrainer trainer = Trainer(new TrainerOptions
        {
            Model = model, MaxDuration = options.MaxDuration, Optimizer = options.Optimizer, Seed = 1,
            TrainDataloader = new DataLoader<IReadOnlyDictionary<string, Tensor>>(data, batchSize: 2, new PaddingCollator().Collate),
        });
        Assert.That(Assert.Throws<ArgumentException>(() => trainer.Fit())!.Message, Does.Contain("outside the embedding's vocabulary of 64"));
    }
}
