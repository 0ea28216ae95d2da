using System.Text;

namespace Composer.ObjectStores;

/// <summary>
/// A checkpoint folder's copy in an object store, for the savers: each checkpoint is uploaded in the background, then
/// its pointer object (<c>latest.ckpt.symlink</c>, holding the checkpoint's object name, as Composer's <c>.symlink</c>
/// files), then the checkpoints it rotates out are deleted. An interrupted upload therefore never moves a pointer.
/// </summary>
internal sealed class RemoteFolder
{
    /// <summary>What Composer appends to a pointer's name.</summary>
    public const string PointerSuffix = ".symlink";

    public RemoteFolder(ObjectStoreUri uri, ObjectStore store, string owner)
    {
        Uri = uri;
        Store = store;
        Queue = new UploadQueue(owner);
    }

    public ObjectStoreUri Uri { get; }

    public ObjectStore Store { get; }

    public UploadQueue Queue { get; }

    /// <summary>Fails before training when the bucket is missing or the credentials are refused.</summary>
    public void CheckAccess() => Store.CheckAccessAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>The names of the objects directly in the folder.</summary>
    public IReadOnlyList<string> Names()
    {
        string prefix = Uri.Path.Length == 0 ? "" : Uri.Path + "/";
        return Store.ListAsync(prefix).GetAwaiter().GetResult()
            .Select(key => key[prefix.Length..])
            .Where(name => name.Length > 0 && !name.Contains('/'))
            .ToList();
    }

    /// <summary>
    /// Queues the upload of <paramref name="path"/> as <paramref name="name"/>, then of the pointer (to
    /// <paramref name="pointerTarget"/>, by default this checkpoint), then the deletes. The file is opened now, so a
    /// later rotation or replacement of it does not change what is uploaded.
    /// </summary>
    public void Publish(string path, string name, string? pointer, IReadOnlyList<string> delete, string? pointerTarget = null)
    {
        FileStream content = ObjectStore.OpenForUpload(path);
        string key = Uri.Key(name);
        Queue.Enqueue($"upload {Store.UriOf(key)}", async cancellation =>
        {
            await Store.UploadAsync(key, content, cancellation).ConfigureAwait(false);
            if (pointer is not null)
            {
                using var target = new MemoryStream(Encoding.UTF8.GetBytes(Uri.Key(pointerTarget ?? name)));
                await Store.UploadAsync(Uri.Key(pointer + PointerSuffix), target, cancellation).ConfigureAwait(false);
            }
            foreach (string old in delete)
                await Store.DeleteAsync(Uri.Key(old), cancellation).ConfigureAwait(false);
        }, content);
    }

    /// <summary>
    /// Downloads the checkpoint <paramref name="pointer"/>'s pointer object names into <paramref name="localFolder"/>;
    /// null when there is no pointer yet (nothing uploaded).
    /// </summary>
    public string? DownloadPointed(string pointer, string localFolder)
    {
        string pointerKey = Uri.Key(pointer + PointerSuffix);
        if (Store.SizeAsync(pointerKey).GetAwaiter().GetResult() is null) return null;
        string key = ReadPointer(Store, pointerKey, localFolder);
        string path = Path.Combine(localFolder, key[(key.LastIndexOf('/') + 1)..]);
        Store.DownloadAsync(key, path).GetAwaiter().GetResult();
        return path;
    }

    /// <summary>Downloads the object <paramref name="name"/> of the folder to <paramref name="path"/>.</summary>
    public void Download(string name, string path) => Store.DownloadAsync(Uri.Key(name), path).GetAwaiter().GetResult();

    /// <summary>The object name a pointer object holds.</summary>
    public static string ReadPointer(ObjectStore store, string pointerKey, string localFolder)
    {
        Directory.CreateDirectory(localFolder);
        string file = Path.Combine(localFolder, $"{Path.GetFileName(pointerKey)}.{Guid.NewGuid():N}");
        try
        {
            store.DownloadAsync(pointerKey, file).GetAwaiter().GetResult();
            string key = File.ReadAllText(file, Encoding.UTF8).Trim();
            if (key.Length == 0) throw new ObjectStoreException($"The pointer {store.UriOf(pointerKey)} is empty; it should hold a checkpoint's object name.");
            return key;
        }
        finally
        {
            File.Delete(file);
        }
    }
}
