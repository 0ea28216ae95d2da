using Composer.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Data;

public class CollateTests
{
    private static IReadOnlyDictionary<string, Tensor> Sample(long[] ids, long label) =>
        new Dictionary<string, Tensor> { [Batch.InputIds] = tensor(ids), [Batch.Labels] = tensor(label) };

    private static long[,] Values(Tensor t)
    {
        long[] flat = t.data<long>().ToArray();
        var result = new long[t.shape[0], t.shape[1]];
        Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(long));
        return result;
    }

    [Test]
    public void PaddingCollatorPadsToTheLongestAndAddsTheAttentionMask()
    {
        var collator = new PaddingCollator { PadTokenId = 9 };
        Batch batch = collator.Collate([Sample([5, 6, 7], 1), Sample([8], 0), Sample([3, 4], 1)]);
        Assert.Multiple(() =>
        {
            Assert.That(batch.Keys, Is.EqualTo(new[] { "input_ids", "labels", "attention_mask" }));
            Assert.That(Values(batch.Inputs), Is.EqualTo(new long[,] { { 5, 6, 7 }, { 8, 9, 9 }, { 3, 4, 9 } }));
            Assert.That(Values(batch[Batch.AttentionMask]), Is.EqualTo(new long[,] { { 1, 1, 1 }, { 1, 0, 0 }, { 1, 1, 0 } }));
            Assert.That(batch.Targets.data<long>().ToArray(), Is.EqualTo(new long[] { 1, 0, 1 }));
            Assert.That(batch.TokenCount, Is.EqualTo(6));
        });
    }

    [Test]
    public void PaddingToAMultipleRoundsTheLengthUpAndPadsSequenceLabelsWithMinus100()
    {
        var collator = new PaddingCollator { PadToMultipleOf = 4 };
        IReadOnlyDictionary<string, Tensor>[] samples =
        [
            new Dictionary<string, Tensor> { [Batch.InputIds] = tensor(new long[] { 1, 2, 3, 4, 5 }), [Batch.Labels] = tensor(new long[] { 0, 1, 0, 1, 0 }) },
            new Dictionary<string, Tensor> { [Batch.InputIds] = tensor(new long[] { 6, 7 }), [Batch.Labels] = tensor(new long[] { 1, 1 }) },
        ];
        Batch batch = collator.Collate(samples);
        Assert.Multiple(() =>
        {
            Assert.That(Values(batch.Inputs), Is.EqualTo(new long[,] { { 1, 2, 3, 4, 5, 0, 0, 0 }, { 6, 7, 0, 0, 0, 0, 0, 0 } }));
            Assert.That(Values(batch.Targets), Is.EqualTo(new long[,] { { 0, 1, 0, 1, 0, -100, -100, -100 }, { 1, 1, -100, -100, -100, -100, -100, -100 } }));
            Assert.That(Values(batch[Batch.AttentionMask]), Is.EqualTo(new long[,] { { 1, 1, 1, 1, 1, 0, 0, 0 }, { 1, 1, 0, 0, 0, 0, 0, 0 } }));
        });
    }

    [Test]
    public void StackingSequencesOfDifferentLengthsPointsToThePaddingCollator()
    {
        var error = Assert.Throws<ArgumentException>(() => Collate.Stack([Sample([1, 2], 0), Sample([3], 1)]));
        Assert.That(error!.Message, Does.Contain("'input_ids'").And.Contain("PaddingCollator"));
    }

    [Test]
    public void SamplesWithDifferentKeysAreRejected()
    {
        IReadOnlyDictionary<string, Tensor>[] samples = [Sample([1], 0), new Dictionary<string, Tensor> { [Batch.InputIds] = tensor(new long[] { 2 }) }];
        Assert.That(Assert.Throws<ArgumentException>(() => new PaddingCollator().Collate(samples))!.Message, Does.Contain("every sample needs the same keys"));
    }

    private static IReadOnlyDictionary<string, Tensor> Text(int ids, int mask, long label = 0) => new Dictionary<string, Tensor>
    {
        [Batch.InputIds] = arange(ids, dtype: int64) + 1,
        [Batch.AttentionMask] = ones(mask, dtype: int64),
        [Batch.Labels] = tensor(label),
    };

    [Test]
    public void ASampleWhoseMaskIsShorterThanItsIdsIsRefusedWithItsIndexKeysAndLengths()
    {
        var error = Assert.Throws<InvalidSampleException>(() => new PaddingCollator().Collate([Text(4, 4), Text(10, 6), Text(3, 3)]));
        Assert.That(error!.SampleIndex, Is.EqualTo(1));
        Assert.That(error.IsDatasetIndex, Is.False);
        Assert.That(error.Message, Does.StartWith("Sample 1:").And.Contain("'input_ids' has 10").And.Contain("'attention_mask' has 6"));
    }

    [Test]
    public void TheLoaderNamesTheBadSampleByItsIndexInTheDataset()
    {
        var data = Dataset.From<IReadOnlyDictionary<string, Tensor>>(8, i => i == 6 ? Text(5, 2) : Text(3 + i % 2, 3 + i % 2));
        var loader = new DataLoader<IReadOnlyDictionary<string, Tensor>>(data, batchSize: 4, new PaddingCollator().Collate);
        using IEnumerator<Batch> batches = loader.GetEnumerator();
        Assert.That(batches.MoveNext(), Is.True, "samples 0 to 3 are well formed");
        var error = Assert.Throws<InvalidSampleException>(() => batches.MoveNext());
        Assert.That((error!.SampleIndex, error.IsDatasetIndex), Is.EqualTo((6L, true)));
        Assert.That(error.Message, Does.StartWith("Dataset sample 6:").And.Contain("'input_ids' has 5, 'attention_mask' has 2"));
    }

    [Test]
    public void DeclaredSequenceKeysAreCheckedAndUndeclaredOnesPaddedOnTheirOwn()
    {
        IReadOnlyDictionary<string, Tensor> Sample(int ids, int chars) => new Dictionary<string, Tensor>
        {
            [Batch.InputIds] = ones(ids, dtype: int64), ["char_ids"] = ones(chars, dtype: int64), [Batch.Labels] = tensor(0L),
        };
        Batch padded = new PaddingCollator().Collate([Sample(3, 7), Sample(2, 5)]);
        Assert.That((padded.Inputs.shape[1], padded["char_ids"].shape[1]), Is.EqualTo((3L, 7L)), "char_ids is not a sequence of the tokens unless declared");

        var declared = new PaddingCollator { SequenceKeys = [Batch.InputIds, "char_ids"] };
        var error = Assert.Throws<InvalidSampleException>(() => declared.Collate([Sample(3, 3), Sample(2, 5)]));
        Assert.That(error!.Message, Does.Contain("'input_ids' has 2, 'char_ids' has 5"));
    }
}
