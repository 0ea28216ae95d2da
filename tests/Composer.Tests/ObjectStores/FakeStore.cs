using Composer.ObjectStores;

namespace Composer.Tests.ObjectStores;

/// <summary>An in-memory store whose uploads fail as told: to test retries and the queue without a server.</summary>
internal sealed class FakeStore : ObjectStore
{
    public Dictionary<string, byte[]> Objects { get; } = [];

    /// <summary>Decides each upload try: null to succeed, else the exception to throw.</summary>
    public Func<string, int, Exception?> Fail { get; set; } = (_, _) => null;

    /// <summary>Waited for by every upload try.</summary>
    public Func<CancellationToken, Task> Delay { get; set; } = _ => Task.CompletedTask;

    public List<string> Tries { get; } = [];

    public override string UriOf(string objectName) => $"fake://bucket/{objectName}";

    public override Task CheckAccessAsync(CancellationToken cancellation) => Task.CompletedTask;

    protected override async Task UploadOnceAsync(string objectName, Stream content, CancellationToken cancellation)
    {
        int attempt;
        lock (Tries)
        {
            Tries.Add(objectName);
            attempt = Tries.Count(t => t == objectName);
        }
        await Delay(cancellation);
        if (Fail(objectName, attempt) is { } failure) throw failure;
        var copy = new MemoryStream();
        await content.CopyToAsync(copy, cancellation);
        lock (Objects) Objects[objectName] = copy.ToArray();
    }

    protected override Task DownloadOnceAsync(string objectName, string path, CancellationToken cancellation)
    {
        File.WriteAllBytes(path, Objects[objectName]);
        return Task.CompletedTask;
    }

    protected override Task<long?> SizeOnceAsync(string objectName, CancellationToken cancellation) =>
        Task.FromResult(Objects.TryGetValue(objectName, out byte[]? bytes) ? bytes.Length : (long?)null);

    protected override Task<IReadOnlyList<string>> ListOnceAsync(string prefix, CancellationToken cancellation) =>
        Task.FromResult<IReadOnlyList<string>>(Objects.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList());

    protected override Task DeleteOnceAsync(string objectName, CancellationToken cancellation)
    {
        Objects.Remove(objectName);
        return Task.CompletedTask;
    }
}
