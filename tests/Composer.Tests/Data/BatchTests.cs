using Composer.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Data;

public class BatchTests
{
    private static Batch Text() => new(new Dictionary<string, Tensor>
    {
        [Batch.InputIds] = tensor(new long[,] { { 5, 6, 7 }, { 8, 0, 0 } }),
        [Batch.AttentionMask] = tensor(new long[,] { { 1, 1, 1 }, { 1, 0, 0 } }),
        [Batch.Labels] = tensor(new long[] { 1, 0 }),
    });

    [Test]
    public void ADictBatchNamesItsInputsAndTargetsAndCountsSamplesAndRealTokens()
    {
        Batch batch = Text();
        Assert.Multiple(() =>
        {
            Assert.That(batch.Keys, Is.EqualTo(new[] { "input_ids", "attention_mask", "labels" }));
            Assert.That(batch.Inputs.data<long>().ToArray(), Is.EqualTo(new long[] { 5, 6, 7, 8, 0, 0 }));
            Assert.That(batch.Targets.data<long>().ToArray(), Is.EqualTo(new long[] { 1, 0 }));
            Assert.That(batch.Size, Is.EqualTo(2));
            // Four real tokens under the mask, where input_ids holds six with padding.
            Assert.That(batch.TokenCount, Is.EqualTo(4));
            Assert.That(batch.ToString(), Is.EqualTo("Batch { input_ids [2, 3], attention_mask [2, 3], labels [2] }"));
        });
    }

    [Test]
    public void TokensAreEveryIdWithoutAMaskAndNoneForAnImageBatch()
    {
        var ids = new Batch(new Dictionary<string, Tensor> { [Batch.InputIds] = zeros(3, 5, dtype: int64), [Batch.Labels] = zeros(3, dtype: int64) });
        var images = new Batch(zeros(3, 1, 2, 2), zeros(3, dtype: int64));
        Assert.That((ids.TokenCount, images.TokenCount), Is.EqualTo((15L, 0L)));
    }

    [Test]
    public void WithAndRecordWithReplaceOneTensorAndLeaveTheOriginalAsItWas()
    {
        Batch original = Text();
        Tensor soft = ones(2, 2);
        Batch smoothed = original with { Targets = soft };
        Batch extra = original.With("token_type_ids", zeros(2, 3, dtype: int64));
        Assert.Multiple(() =>
        {
            Assert.That(ReferenceEquals(smoothed[Batch.Labels], soft), Is.True);
            Assert.That(original[Batch.Labels].dtype, Is.EqualTo(ScalarType.Int64), "the original keeps its labels");
            Assert.That(ReferenceEquals(smoothed.Inputs, original.Inputs), Is.True, "other tensors are shared");
            Assert.That(extra.Keys.Last(), Is.EqualTo("token_type_ids"));
            Assert.That(original.Count, Is.EqualTo(3));
        });
    }

    [Test]
    public void AMissingKeyNamesTheKeysThereAreAndTheUser()
    {
        var error = Assert.Throws<KeyNotFoundException>(() => Text().Require("pixel_values", "MixUp"));
        Assert.That(error!.Message, Does.Contain("MixUp reads the batch's tensor 'pixel_values'").And.Contain("'input_ids', 'attention_mask', 'labels'"));
        var pair = new Batch(zeros(2, 3), zeros(2));
        Assert.That(Assert.Throws<KeyNotFoundException>(() => _ = pair["labels"])!.Message, Does.Contain("'inputs', 'targets'"));
    }

    [Test]
    public void TensorsWithDifferentRowCountsAreRejected()
    {
        var error = Assert.Throws<InvalidOperationException>(() => _ = new Batch(new Dictionary<string, Tensor>
        {
            [Batch.InputIds] = zeros(3, 4, dtype: int64),
            [Batch.Labels] = zeros(2, dtype: int64),
        }));
        Assert.That(error!.Message, Does.Contain("2 rows under 'labels' where the other tensors have 3"));
    }

    [Test]
    public void NarrowAndSelectTakeTheSameRowsOfEveryTensor()
    {
        Batch batch = Text();
        Batch second = batch.Narrow(1, 1);
        Batch swapped = batch.Select(tensor(new long[] { 1, 0 }));
        Assert.Multiple(() =>
        {
            Assert.That(second[Batch.AttentionMask].data<long>().ToArray(), Is.EqualTo(new long[] { 1, 0, 0 }));
            Assert.That(second.Targets.data<long>().ToArray(), Is.EqualTo(new long[] { 0 }));
            Assert.That(swapped.Inputs.data<long>().ToArray(), Is.EqualTo(new long[] { 8, 0, 0, 5, 6, 7 }));
            Assert.That(swapped.Targets.data<long>().ToArray(), Is.EqualTo(new long[] { 0, 1 }));
        });
    }
}
