using System.Net.Sockets;
using Composer.ObjectStores;

namespace Composer.Tests.ObjectStores;

/// <summary>An operation is tried <see cref="ObjectStore.Attempts"/> times on transient errors, once on permanent ones.</summary>
public class RetryTests
{
    [Test]
    public async Task TransientFailuresAreTriedAgainUntilOneSucceedsWithTheWholeContentEachTime()
    {
        var store = new FakeStore { Attempts = 3, Backoff = TimeSpan.FromMilliseconds(1) };
        store.Fail = (_, attempt) => attempt < 3 ? new IOException("connection reset") : null;
        var content = new MemoryStream([1, 2, 3, 4]);
        content.Position = 1;
        await store.UploadAsync("a", content);
        Assert.That(store.Tries, Has.Count.EqualTo(3));
        Assert.That(store.Objects["a"], Is.EqualTo(new byte[] { 2, 3, 4 }), "each try starts where the first began");
    }

    [Test]
    public void TheLastTransientFailureIsReportedWithTheNumberOfAttempts()
    {
        var store = new FakeStore { Attempts = 4, Backoff = TimeSpan.FromMilliseconds(1) };
        store.Fail = (_, _) => new SocketException((int)SocketError.ConnectionRefused);
        var error = Assert.ThrowsAsync<ObjectStoreException>(() => store.UploadAsync("a", new MemoryStream([1])));
        Assert.That(store.Tries, Has.Count.EqualTo(4));
        Assert.That(error!.Message, Does.StartWith("Could not upload fake://bucket/a in 4 attempts:"));
        Assert.That(error.Transient, Is.True);
    }

    [Test]
    public void APermanentFailureIsNotTriedAgain()
    {
        var store = new FakeStore { Attempts = 5, Backoff = TimeSpan.FromMilliseconds(1) };
        store.Fail = (_, _) => new ObjectStoreException("the bucket does not exist", transient: false);
        var error = Assert.ThrowsAsync<ObjectStoreException>(() => store.UploadAsync("a", new MemoryStream([1])));
        Assert.That(store.Tries, Has.Count.EqualTo(1));
        Assert.That(error!.Message, Is.EqualTo("the bucket does not exist"));
    }

    [Test]
    public void ATryThatOutlivesTheTimeoutIsCancelledAndCountsAsTransient()
    {
        var store = new FakeStore { Attempts = 2, Backoff = TimeSpan.FromMilliseconds(1), Timeout = TimeSpan.FromMilliseconds(50) };
        store.Delay = token => Task.Delay(Timeout.Infinite, token);
        var error = Assert.ThrowsAsync<ObjectStoreException>(() => store.UploadAsync("a", new MemoryStream([1])));
        Assert.That(store.Tries, Has.Count.EqualTo(2));
        Assert.That(error!.Message, Does.Contain("longer than the timeout of 00:00:00.05"));
    }

    [Test]
    public void AContentThatCannotSeekIsRefusedBecauseItCouldNotBeTriedAgain()
    {
        var store = new FakeStore();
        var error = Assert.ThrowsAsync<ArgumentException>(() => store.UploadAsync("a", new UnseekableStream()));
        Assert.That(error!.Message, Does.Contain("seekable"));
    }

    private sealed class UnseekableStream : MemoryStream
    {
        public override bool CanSeek => false;
    }
}
