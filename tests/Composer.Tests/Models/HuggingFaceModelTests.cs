using Composer.Algorithms;
using Composer.Core;
using Composer.Data;
using Composer.Loggers;
using Composer.Metrics;
using Composer.Models;
using Composer.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Models;

/// <summary>A Hugging Face classifier trained by a generated Trainer on dict batches, with an algorithm and two metrics.</summary>
public class HuggingFaceModelTests
{
    [Test]
    public void ATinyBertLearnsFromDictBatchesWithLabelSmoothingAndLogsF1()
    {
        torch.manual_seed(2);
        // Label 1 exactly when token 7 occurs; lengths vary, so the collator pads and masks.
        var random = new Random(3);
        var rows = Enumerable.Range(0, 96).Select(i =>
        {
            long[] ids = [.. Enumerable.Range(0, random.Next(3, 9)).Select(_ => (long)random.Next(8, 30))];
            if (i % 2 == 0) ids[random.Next(ids.Length)] = 7;
            return (Ids: ids, Label: (long)(i % 2 == 0 ? 1 : 0));
        }).ToArray();
        var samples = Dataset.From<IReadOnlyDictionary<string, Tensor>>(rows.Length, i => new Dictionary<string, Tensor>
        {
            [Batch.InputIds] = tensor(rows[i].Ids),
            [BertTokenizer.TokenTypeIds] = zeros(rows[i].Ids.Length, dtype: ScalarType.Int64),
            [Batch.Labels] = tensor(rows[i].Label),
        });
        var collator = new PaddingCollator();
        var network = new BertForSequenceClassification(new BertConfig
        {
            VocabSize = 30, HiddenSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 64, MaxPositionEmbeddings = 16,
            HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0,
        }.WithNumLabels(2));
        var model = new HuggingFaceModel(network, metrics: [new Accuracy(), new BinaryF1Score()]);
        var logger = new InMemoryLogger();
        var trainer = new SmoothedHuggingFaceTrainer(new LabelSmoothing(0.1), new TrainerOptions
        {
            Model = model,
            TrainDataloader = new DataLoader<IReadOnlyDictionary<string, Tensor>>(samples, 16, collator.Collate, shuffle: true),
            EvalDataloader = new DataLoader<IReadOnlyDictionary<string, Tensor>>(samples, 32, collator.Collate),
            MaxDuration = Time.Parse("12ep"),
            Optimizer = optim.AdamW(model.parameters(), lr: 3e-3),
            Seed = 2,
            Loggers = [logger],
        });
        FitResult result = trainer.Fit();

        Assert.That(result.Metric("eval", "Accuracy"), Is.GreaterThan(0.95));
        Assert.That(result.Metric("eval", "BinaryF1Score"), Is.GreaterThan(0.95));
        Assert.That(logger.Data["metrics/eval/BinaryF1Score"], Has.Count.EqualTo(12));
        // The attention mask was used: a padded batch's logits equal each sample's alone.
        network.eval();
        using (no_grad())
        {
            Batch batch = collator.Collate([samples[0], samples[1]]);
            Tensor together = model.Forward(batch);
            Tensor alone = network.Forward(tensor(rows[1].Ids).unsqueeze(0));
            Assert.That((together[1] - alone[0]).abs().max().item<float>(), Is.LessThan(1e-5));
        }
    }
}

[Trainer(typeof(LabelSmoothing))]
public partial class SmoothedHuggingFaceTrainer;
