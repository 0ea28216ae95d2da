using Composer.ObjectStores;

namespace Composer.Tests.ObjectStores;

/// <summary>The background queue: order, bounded waiting, and failures reported once, never dropped.</summary>
public class UploadQueueTests
{
    [Test]
    public void JobsRunInTheOrderGivenAndWaitForAllReturnsWhenAllHaveRun()
    {
        var queue = new UploadQueue("test");
        var order = new List<int>();
        for (int i = 0; i < 10; i++)
        {
            int job = i;
            queue.Enqueue($"job {job}", async _ =>
            {
                await Task.Delay(job % 3);
                lock (order) order.Add(job);
            });
        }
        queue.WaitForAll();
        Assert.That(order, Is.EqualTo(Enumerable.Range(0, 10)));
    }

    [Test]
    public void AFailedJobIsReportedOnStderrAtOnceAndByTheNextWaitOnlyAndItsResourcesAreReleased()
    {
        var queue = new UploadQueue("Saver");
        var released = new Released();
        var stderr = new StringWriter();
        TextWriter original = Console.Error;
        Console.SetError(stderr);
        try
        {
            queue.Enqueue("upload a", _ => throw new ObjectStoreException("the store is down"), released);
            queue.Enqueue("upload b", _ => Task.CompletedTask);
            var error = Assert.Throws<ObjectStoreException>(queue.WaitForAll);
            Assert.That(error!.Message, Is.EqualTo("Saver: 1 upload job(s) failed: upload a: the store is down"));
        }
        finally
        {
            Console.SetError(original);
        }
        Assert.That(stderr.ToString(), Is.EqualTo($"Saver: could not upload a: the store is down{Environment.NewLine}"));
        Assert.That(released.Count, Is.EqualTo(1));
        Assert.DoesNotThrow(queue.WaitForAll, "reported once");
    }

    [Test]
    public void WhenCapacityJobsWaitEnqueueWaitsForOneToFinish()
    {
        var queue = new UploadQueue("test", capacity: 1);
        var gate = new TaskCompletionSource();
        var running = new TaskCompletionSource();
        queue.Enqueue("running", async _ =>
        {
            running.SetResult();
            await gate.Task;
        });
        running.Task.Wait();
        queue.Enqueue("waiting", _ => Task.CompletedTask);
        Task third = Task.Run(() => queue.Enqueue("third", _ => Task.CompletedTask));
        Assert.That(third.Wait(200), Is.False, "the queue is full: the third job waits");
        gate.SetResult();
        Assert.That(third.Wait(5000), Is.True, "and goes in once the first has run");
        queue.WaitForAll();
    }

    private sealed class Released : IDisposable
    {
        public int Count { get; private set; }

        public void Dispose() => Count++;
    }
}
