using Composer.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Data;

public class DatasetLoaderTests
{
    // Sample i is ([i, i], label i % 3), so a batch shows which samples it holds.
    private static IDataset<IReadOnlyDictionary<string, Tensor>> Numbers(int count) =>
        Dataset.From<IReadOnlyDictionary<string, Tensor>>(count, i => new Dictionary<string, Tensor>
        {
            ["x"] = tensor(new float[] { i, i }),
            ["y"] = tensor((long)(i % 3)),
        });

    private static List<float[]> FirstColumns(IEnumerable<Batch> batches) =>
        batches.Select(b => b["x"].select(1, 0).data<float>().ToArray()).ToList();

    [Test]
    public void TheSeededShuffleIsTheTensorLoadersOrderForTheSameSeedAndEpoch()
    {
        using var tensors = new TensorDataset(arange(10, dtype: float32).unsqueeze(1).repeat(1, 2), arange(10) % 3);
        var byTensor = new DataLoader(tensors, batchSize: 4, shuffle: true, seed: 11);
        var bySample = new DataLoader<IReadOnlyDictionary<string, Tensor>>(Numbers(10), batchSize: 4, shuffle: true, seed: 11);
        byTensor.SetEpoch(2);
        bySample.SetEpoch(2);
        List<float[]> expected = byTensor.Select(b => b.Inputs.select(1, 0).data<float>().ToArray()).ToList();
        Assert.That(FirstColumns(bySample), Is.EqualTo(expected));
        bySample.SetEpoch(3);
        Assert.That(FirstColumns(bySample), Is.Not.EqualTo(expected), "another epoch, another order");
        Assert.That(expected.Select(b => b.Length), Is.EqualTo(new[] { 4, 4, 2 }));
    }

    [Test]
    public void DefaultCollateStacksNamedTensorsAndKeepsTheKeys()
    {
        var loader = new DataLoader<IReadOnlyDictionary<string, Tensor>>(Numbers(5), batchSize: 5);
        Batch batch = loader.First();
        Assert.Multiple(() =>
        {
            Assert.That(batch.Keys, Is.EqualTo(new[] { "x", "y" }));
            Assert.That(batch["x"].shape, Is.EqualTo(new long[] { 5, 2 }));
            Assert.That(batch["y"].data<long>().ToArray(), Is.EqualTo(new long[] { 0, 1, 2, 0, 1 }));
        });
    }

    [Test]
    public void PrefetchingGivesTheSameBatchesInTheSameOrder()
    {
        var plain = new DataLoader<IReadOnlyDictionary<string, Tensor>>(Numbers(23), batchSize: 4, shuffle: true, seed: 3);
        var ahead = new DataLoader<IReadOnlyDictionary<string, Tensor>>(Numbers(23), batchSize: 4, shuffle: true, seed: 3, prefetch: 3);
        Assert.That(FirstColumns(ahead), Is.EqualTo(FirstColumns(plain)));
    }

    [Test]
    public void APrefetchedBatchBelongsToTheScopeItIsTakenIn()
    {
        var loader = new DataLoader<IReadOnlyDictionary<string, Tensor>>(Numbers(8), batchSize: 4, prefetch: 2);
        using IEnumerator<Batch> batches = loader.GetEnumerator();
        Tensor x;
        using (NewDisposeScope())
        {
            Assert.That(batches.MoveNext(), Is.True);
            x = batches.Current["x"];
            Assert.That(x.IsInvalid, Is.False);
        }
        Assert.That(x.IsInvalid, Is.True, "freed with the scope, like a batch read on the training thread");
    }

    [Test]
    public void ACollateThatDropsASampleIsReportedByName()
    {
        var loader = new DataLoader<IReadOnlyDictionary<string, Tensor>>(Numbers(6), batchSize: 3,
            collate: samples => Collate.Stack(samples).Map((key, t) => key == "y" ? t.narrow(0, 0, 2) : t));
        var error = Assert.Throws<InvalidOperationException>(() => loader.First());
        Assert.That(error!.Message, Does.Contain("collate function's batch of 3 samples has 2 rows under 'y'"));
    }

    [Test]
    public void SamplesThatAreNotNamedTensorsNeedACollate()
    {
        var error = Assert.Throws<ArgumentException>(() => _ = new DataLoader<string>(Dataset.From(new[] { "a", "b" }), batchSize: 2));
        Assert.That(error!.Message, Does.Contain("need a collate function"));
    }

    [Test]
    public void ShardsOfTwoRanksCoverEverySampleOnce()
    {
        var seen = new List<float>();
        for (int rank = 0; rank < 2; rank++)
        {
            var loader = new DataLoader<IReadOnlyDictionary<string, Tensor>>(Numbers(9), batchSize: 2, shuffle: true, seed: 4);
            loader.Shard(rank, 2, padToEqual: false);
            seen.AddRange(FirstColumns(loader).SelectMany(b => b));
        }
        Assert.That(seen.Order(), Is.EqualTo(Enumerable.Range(0, 9).Select(i => (float)i)));
    }
}
