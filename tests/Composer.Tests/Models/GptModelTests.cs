using Composer.Callbacks;
using Composer.Core;
using Composer.Data;
using Composer.Loggers;
using Composer.Models.Transformer;
using Composer.Optim;
using Composer.Tests.Training;
using Composer.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Models;

/// <summary>The small GPT: causality, padding, its loss, generation, and the Generate callback.</summary>
public class GptModelTests
{
    private static GptModel Model(long vocabulary = 12, int seed = 1)
    {
        torch.manual_seed(seed);
        var model = new GptModel(vocabulary, maxSequenceLength: 16, dimension: 16, heads: 2, layers: 2, dropout: 0);
        model.eval();
        return model;
    }

    [Test]
    public void AChangeToALaterTokenLeavesEveryEarlierPositionsLogitsExactlyAsTheyWere()
    {
        var model = Model();
        using Tensor a = tensor(new long[] { 3, 4, 5, 6, 7, 8 }).unsqueeze(0);
        using Tensor b = tensor(new long[] { 3, 4, 5, 9, 9, 9 }).unsqueeze(0);
        using Tensor la = model.Logits(a, null), lb = model.Logits(b, null);
        Assert.That(la.narrow(1, 0, 3).equal(lb.narrow(1, 0, 3)).all().item<bool>(), "positions 0-2 see only tokens 0-2");
        Assert.That(la.narrow(1, 3, 1).equal(lb.narrow(1, 3, 1)).all().item<bool>(), Is.False);
    }

    [Test]
    public void ALeftPaddedPromptHasTheLogitsOfThePromptAlone()
    {
        var model = Model();
        using Tensor alone = model.Logits(tensor(new long[] { 3, 4, 5 }).unsqueeze(0), null);
        using Tensor padded = model.Logits(tensor(new long[] { 0, 0, 3, 4, 5 }).unsqueeze(0), tensor(new long[] { 0, 0, 1, 1, 1 }).unsqueeze(0));
        Assert.That((padded.narrow(1, 2, 3) - alone).abs().max().item<float>(), Is.LessThan(1e-5f));
    }

    [Test]
    public void TheLossIsTheNextTokensCrossEntropyOverRealTokens()
    {
        var model = Model();
        var batch = new Batch(new Dictionary<string, Tensor>
        {
            [Batch.InputIds] = tensor(new long[,] { { 3, 4, 5, 6 }, { 7, 8, 0, 0 } }),
            [Batch.AttentionMask] = tensor(new long[,] { { 1, 1, 1, 1 }, { 1, 1, 0, 0 } }),
        });
        using Tensor logits = model.Forward(batch);
        double total = 0;
        int count = 0;
        long[,] ids = { { 3, 4, 5, 6 }, { 7, 8, 0, 0 } };
        int[] lengths = [4, 2];
        for (int row = 0; row < 2; row++)
            for (int t = 0; t + 1 < lengths[row]; t++)
            {
                float[] scores = logits[row, t].data<float>().ToArray();
                double logSum = Math.Log(scores.Sum(s => Math.Exp(s)));
                total += logSum - scores[ids[row, t + 1]];
                count++;
            }
        Assert.That(model.Loss(logits, batch).item<float>(), Is.EqualTo(total / count).Within(1e-5));
        Assert.That(model.FlopsPerBatch(batch), Is.EqualTo(6.0 * model.parameters().Sum(p => p.numel()) * 8));
    }

    [Test]
    public void GreedyGenerationTakesTheMostLikelyTokenEachStepAndTopKOfOneSamplesTheSame()
    {
        var model = Model();
        using Tensor prompt = tensor(new long[] { 3, 4 }).unsqueeze(0);
        using Tensor greedy = model.Generate(prompt, maxNewTokens: 5);
        Assert.That(greedy.shape, Is.EqualTo(new long[] { 1, 7 }));
        // Step by step by hand: the argmax of the last position's logits, appended.
        Tensor manual = prompt.clone();
        for (int i = 0; i < 5; i++)
            manual = cat([manual, model.Logits(manual, null).select(1, -1).argmax(-1).unsqueeze(1)], 1);
        Assert.That(greedy.equal(manual).all().item<bool>());
        using Tensor sampled = model.Generate(prompt, maxNewTokens: 5, doSample: true, topK: 1, generator: new Generator(7));
        Assert.That(sampled.equal(greedy).all().item<bool>(), "the top token is the only one left");
        using Tensor first = model.Generate(prompt, maxNewTokens: 8, doSample: true, generator: new Generator(7));
        using Tensor second = model.Generate(prompt, maxNewTokens: 8, doSample: true, generator: new Generator(7));
        Assert.That(first.equal(second).all().item<bool>(), "the same seed draws the same tokens");
        Assert.That(model.training, Is.False, "the mode it had");
    }

    [Test]
    public void CharactersRoundTripAndUnknownOnesAreMarked()
    {
        var tokenizer = CharacterTokenizer.Fit(["abc", "cab é"]);
        Assert.That(tokenizer.VocabularySize, Is.EqualTo(3 + 5));
        Assert.That(tokenizer.Decode(tokenizer.Encode("é cab")), Is.EqualTo("é cab"));
        Assert.That(tokenizer.Encode("z"), Is.EqualTo(new long[] { 2 }));
        Assert.That(tokenizer.Decode([0, 3, 1, 2]), Is.EqualTo(" \uFFFD"), "padding and end of text vanish");
    }

    [Test]
    public void TrainedOnARepeatingPatternItContinuesItAndGenerateLogsTheTable()
    {
        var tokenizer = CharacterTokenizer.Fit(["abcdefg"]);
        string pattern = string.Concat(Enumerable.Repeat("abcdefg", 10));
        var windows = Enumerable.Range(0, 7).Select(start => tokenizer.Encode(pattern.Substring(start, 12))).ToList();
        var data = Dataset.From<IReadOnlyDictionary<string, Tensor>>(windows.Count, i => new Dictionary<string, Tensor> { [Batch.InputIds] = tensor(windows[i]) });
        var model = Model(tokenizer.VocabularySize, seed: 3);
        model.train();
        var table = new TableRecorder();
        var generate = new Generate(["cde", "ga"], interval: "100ba", tokenizer, maxNewTokens: 9);
        new BareOptionsTrainer(new TrainerOptions
        {
            Model = model,
            TrainDataloader = new DataLoader<IReadOnlyDictionary<string, Tensor>>(data, batchSize: 7, new PaddingCollator().Collate, shuffle: true),
            MaxDuration = Time.Parse("150ba"),
            Optimizer = new DecoupledAdamW(model.parameters(), lr: 1e-2),
            Seed = 3,
            Callbacks = [generate],
            Loggers = [table],
        }).Fit();
        Assert.That(generate.LastGenerations, Is.EqualTo(new[] { "fgabcdefg", "bcdefgabc" }));
        Assert.That(table.Tables.Select(t => t.Batch), Is.EqualTo(new long[] { 100, 150 }), "at the interval and at the end of training");
        var last = table.Tables[^1];
        Assert.That(last.Columns, Is.EqualTo(new[] { "prompt", "generation" }));
        Assert.That(last.Rows.Select(r => (string)r[0] + "|" + (string)r[1]), Is.EqualTo(new[] { "cde|fgabcdefg", "ga|bcdefgabc" }));
    }

    [Test]
    public void AlibiAppliesToTheCausalAttentionAndKeepsItCausal()
    {
        var model = Model();
        Assert.That(Composer.Functional.ApplyAlibi(model, maxSequenceLength: 16), Is.EqualTo(2));
        using Tensor a = model.Logits(tensor(new long[] { 3, 4, 5, 6 }).unsqueeze(0), null);
        using Tensor b = model.Logits(tensor(new long[] { 3, 4, 9, 9 }).unsqueeze(0), null);
        Assert.That(a.narrow(1, 0, 2).equal(b.narrow(1, 0, 2)).all().item<bool>());
    }

    private sealed class TableRecorder : LoggerDestination
    {
        public List<(long Batch, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<object>> Rows)> Tables { get; } = [];

        public override void LogTable(Timestamp timestamp, string name, IReadOnlyList<string> columns, IReadOnlyList<IReadOnlyList<object>> rows)
        {
            if (name == "generations") Tables.Add((timestamp.Batch, columns, rows));
        }
    }
}
