using Composer.Algorithms;
using Composer.Callbacks;
using Composer.Core;
using Composer.Data;
using Composer.Models.Transformer;
using Composer.Optim;
using Composer.Tests.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Text;

[Trainer(typeof(BatchWitness), typeof(CheckpointSaver), typeof(Interruption))]
public partial class TextTrainer;

[Trainer(typeof(Alibi), typeof(GatedLinearUnits), typeof(LowPrecisionLayerNorm), typeof(SeqLengthWarmup), typeof(BatchWitness))]
public partial class SequenceMethodsTrainer;

/// <summary>Keeps a copy of every parameter's gradient after each train batch (summed over its microbatches).</summary>
public sealed class GradientRecorder : Algorithm
{
    public Tensor[] Gradients { get; private set; } = [];

    [OnEvent(Event.AfterTrainBatch)]
    public void Record(State s) =>
        Gradients = s.Model.parameters().Select(p => (p.grad ?? zeros_like(p)).detach().clone().DetachFromDisposeScope()).ToArray();
}

[Trainer(typeof(GradientRecorder))]
public partial class GradientTrainer;

/// <summary>Records, at every event that has a batch, the batch's keys and size.</summary>
public sealed class BatchWitness : Algorithm
{
    public List<(Event Event, string Keys, long Size)> Seen { get; } = [];

    private void See(State s, Event e) => Seen.Add((e, string.Join(",", s.Batch.Keys), s.Batch.Size));

    [OnEvent(Event.AfterDataloader)] public void AfterDataloader(State s) => See(s, Event.AfterDataloader);
    [OnEvent(Event.BatchStart)] public void BatchStart(State s) => See(s, Event.BatchStart);
    [OnEvent(Event.BeforeTrainBatch)] public void BeforeTrainBatch(State s) => See(s, Event.BeforeTrainBatch);
    [OnEvent(Event.BeforeForward)] public void BeforeForward(State s) => See(s, Event.BeforeForward);
    [OnEvent(Event.AfterForward)] public void AfterForward(State s) => See(s, Event.AfterForward);
    [OnEvent(Event.BeforeLoss)] public void BeforeLoss(State s) => See(s, Event.BeforeLoss);
    [OnEvent(Event.AfterLoss)] public void AfterLoss(State s) => See(s, Event.AfterLoss);
    [OnEvent(Event.BeforeBackward)] public void BeforeBackward(State s) => See(s, Event.BeforeBackward);
    [OnEvent(Event.AfterBackward)] public void AfterBackward(State s) => See(s, Event.AfterBackward);
    [OnEvent(Event.AfterTrainBatch)] public void AfterTrainBatch(State s) => See(s, Event.AfterTrainBatch);
    [OnEvent(Event.BatchEnd)] public void BatchEnd(State s) => See(s, Event.BatchEnd);
    [OnEvent(Event.EvalBatchStart)] public void EvalBatchStart(State s) => See(s, Event.EvalBatchStart);
    [OnEvent(Event.EvalBeforeForward)] public void EvalBeforeForward(State s) => See(s, Event.EvalBeforeForward);
    [OnEvent(Event.EvalAfterForward)] public void EvalAfterForward(State s) => See(s, Event.EvalAfterForward);
    [OnEvent(Event.EvalBatchEnd)] public void EvalBatchEnd(State s) => See(s, Event.EvalBatchEnd);
}

/// <summary>
/// Padded text: 12 sequences of lengths 1 to 6 (token ids 2..49, label from the first id), in batches of 4 padded to
/// the longest, with a small <see cref="TextClassifier"/> trained by AdamW with a linear warmup.
/// </summary>
internal static class TextSetup
{
    public static readonly int[] Lengths = [3, 1, 6, 2, 5, 4, 2, 6, 1, 3, 5, 4];

    public static IDataset<IReadOnlyDictionary<string, Tensor>> Data() =>
        Dataset.From<IReadOnlyDictionary<string, Tensor>>(Lengths.Length, i => new Dictionary<string, Tensor>
        {
            [Batch.InputIds] = arange(Lengths[i], dtype: int64) * 7 % 48 + 2 + i,
            [Batch.Labels] = tensor((long)(i % 2)),
        });

    public static TrainerOptions Options(string maxDuration, bool shuffle = true, int? microbatch = null, double dropout = 0.1,
        int seed = 5, bool autoresume = false, string? evalInterval = null, string warmup = "2ba")
    {
        torch.manual_seed(seed);
        var model = new TextClassifier(vocabularySize: 64, numClasses: 2, maxSequenceLength: 8, dimension: 16, heads: 2, layers: 1, dropout: dropout);
        var collator = new PaddingCollator();
        var optimizer = optim.AdamW(model.parameters(), lr: 0.01);
        return new TrainerOptions
        {
            Model = model,
            TrainDataloader = new DataLoader<IReadOnlyDictionary<string, Tensor>>(Data(), batchSize: 4, collator.Collate, shuffle: shuffle),
            EvalDataloader = evalInterval is null ? null : new DataLoader<IReadOnlyDictionary<string, Tensor>>(Data(), batchSize: 6, collator.Collate),
            EvalInterval = evalInterval is null ? null : Time.Parse(evalInterval),
            MaxDuration = Time.Parse(maxDuration),
            Optimizer = optimizer,
            Schedulers = [new LinearWithWarmupScheduler(tWarmup: warmup)],
            DeviceTrainMicrobatchSize = microbatch,
            Seed = seed,
            Autoresume = autoresume,
        };
    }
}
