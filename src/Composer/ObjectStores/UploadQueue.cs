using System.Threading.Channels;

namespace Composer.ObjectStores;

/// <summary>
/// Uploads in the background, one job at a time in the order given (Composer's <c>num_concurrent_uploads=1</c>), so the
/// training loop never waits for the network: a job such as "the checkpoint, then the <c>latest</c> pointer to it" runs
/// its steps in order and stops at the first that fails, so a pointer is published only after what it points to.
/// The queue is bounded: when <c>capacity</c> jobs are waiting, <see cref="Enqueue"/> waits for one to finish rather
/// than holding ever more files open. A job that fails (after the store's retries) is reported on stderr at once and
/// again, as an exception, by <see cref="WaitForAll"/>: never dropped silently.
/// </summary>
public sealed class UploadQueue
{
    private readonly Channel<Job> _jobs;
    private readonly string _owner;
    private readonly List<string> _failures = [];

    /// <summary>Creates the queue and its worker.</summary>
    /// <param name="owner">Who uploads, for messages ("CheckpointSaver").</param>
    /// <param name="capacity">How many jobs may wait before <see cref="Enqueue"/> waits.</param>
    public UploadQueue(string owner, int capacity = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _owner = owner;
        _jobs = Channel.CreateBounded<Job>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _ = Task.Run(WorkAsync);
    }

    /// <summary>The jobs that failed and were not yet reported by <see cref="WaitForAll"/>.</summary>
    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (_failures) return [.. _failures];
        }
    }

    /// <summary>Queues <paramref name="work"/>; <paramref name="resources"/> (open files) are released when it ends.</summary>
    /// <param name="description">What the job does, for messages.</param>
    /// <param name="work">The job; its steps run in order.</param>
    /// <param name="resources">Released when the job ends, whether it succeeded or not.</param>
    public void Enqueue(string description, Func<CancellationToken, Task> work, IDisposable? resources = null)
    {
        ArgumentNullException.ThrowIfNull(work);
        var job = new Job(description, work, resources, null);
        if (!_jobs.Writer.TryWrite(job)) _jobs.Writer.WriteAsync(job).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>
    /// Waits until every queued job has ended.
    /// </summary>
    /// <exception cref="ObjectStoreException">Some jobs failed; the message lists them. Each is reported once.</exception>
    public void WaitForAll()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _jobs.Writer.WriteAsync(new Job("", _ => Task.CompletedTask, null, done)).AsTask().GetAwaiter().GetResult();
        done.Task.GetAwaiter().GetResult();
        string[] failures;
        lock (_failures)
        {
            failures = [.. _failures];
            _failures.Clear();
        }
        if (failures.Length > 0)
            throw new ObjectStoreException($"{_owner}: {failures.Length} upload job(s) failed: {string.Join(" | ", failures)}");
    }

    private async Task WorkAsync()
    {
        await foreach (Job job in _jobs.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await job.Work(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                string failure = $"{job.Description}: {e.Message}";
                lock (_failures) _failures.Add(failure);
                Console.Error.WriteLine($"{_owner}: could not {failure}");
            }
            finally
            {
                job.Resources?.Dispose();
                job.Done?.SetResult();
            }
        }
    }

    private sealed record Job(string Description, Func<CancellationToken, Task> Work, IDisposable? Resources, TaskCompletionSource? Done);
}
