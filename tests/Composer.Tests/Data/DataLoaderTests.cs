using Composer.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Data;

public class DataLoaderTests
{
    private static TensorDataset Numbers(int count) =>
        new(arange(count, dtype: float32).reshape(count, 1), arange(count, dtype: int64));

    private static long[][] Epoch(DataLoader loader) =>
        loader.Select(batch => batch.Targets.data<long>().ToArray()).ToArray();

    [Test]
    public void BatchesInOrderWithASmallerLastBatch()
    {
        var loader = new DataLoader(Numbers(5), batchSize: 2);
        Assert.That(loader.Count, Is.EqualTo(3));
        Assert.That(Epoch(loader), Is.EqualTo(new[] { new long[] { 0, 1 }, [2, 3], [4] }));
    }

    [Test]
    public void DropLastDropsTheSmallerBatch()
    {
        var loader = new DataLoader(Numbers(5), batchSize: 2, dropLast: true);
        Assert.That(loader.Count, Is.EqualTo(2));
        Assert.That(Epoch(loader), Has.Length.EqualTo(2));
    }

    [Test]
    public void ShuffleOrderDependsOnlyOnSeedAndEpoch()
    {
        var a = new DataLoader(Numbers(10), batchSize: 10, shuffle: true, seed: 4);
        var b = new DataLoader(Numbers(10), batchSize: 10, shuffle: true, seed: 4);
        torch.manual_seed(1);
        long[] first = Epoch(a)[0];
        torch.manual_seed(2);
        Assert.That(Epoch(b)[0], Is.EqualTo(first), "the global random state does not change the order");
        Assert.That(first.Order(), Is.EqualTo(Enumerable.Range(0, 10).Select(i => (long)i)), "a permutation of the samples");

        a.SetEpoch(1);
        Assert.That(Epoch(a)[0], Is.Not.EqualTo(first), "each epoch has its own order");
    }

    [Test]
    public void BadArgumentsSayWhatToChange()
    {
        Assert.That(() => new DataLoader(Numbers(3), batchSize: 0), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => new DataLoader(Numbers(3), batchSize: 4, dropLast: true),
            Throws.ArgumentException.With.Message.Contains("lower the batch size"));
        Assert.That(() => new TensorDataset(zeros(3, 2), zeros(4)),
            Throws.ArgumentException.With.Message.Contains("same first dimension"));
    }
}
