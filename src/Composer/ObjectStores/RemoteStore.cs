using Composer.Core;

namespace Composer.ObjectStores;

/// <summary>
/// A saver's object store folder as given (it may contain <c>{run_name}</c>), with its local folder and store: the
/// <see cref="RemoteFolder"/> of a run is made once its name is known.
/// </summary>
internal sealed class RemoteStore
{
    private readonly string _folder;
    private readonly string _localFolder;
    private readonly ObjectStore _store;
    private readonly string _owner;
    private RemoteFolder? _current;

    private RemoteStore(string folder, string localFolder, ObjectStore store, string owner)
    {
        _folder = folder;
        _localFolder = localFolder;
        _store = store;
        _owner = owner;
    }

    /// <summary>
    /// The store of <paramref name="folder"/> when it is an object store URI; null for a local folder. The local folder
    /// defaults to the URI's path under the working directory (the bucket's name for the bucket's root), as Composer's.
    /// </summary>
    public static RemoteStore? Open(string folder, string? localFolder, ObjectStore? store, string owner)
    {
        if (!ObjectStoreUri.TryParse(folder, out ObjectStoreUri uri))
        {
            if (localFolder is not null || store is not null)
                throw new ArgumentException(
                    $"localFolder and objectStore apply to an object store folder such as s3://bucket/run; \"{folder}\" is a local folder.", nameof(localFolder));
            return null;
        }
        return new RemoteStore(folder, localFolder ?? (uri.Path.Length > 0 ? uri.Path : uri.Bucket), store ?? ObjectStore.For(uri), owner);
    }

    /// <summary>The local folder for this run.</summary>
    public string LocalFolderFor(State state) => Fill(_localFolder, state);

    /// <summary>The store's folder for this run.</summary>
    public RemoteFolder For(State state)
    {
        string folder = Fill(_folder, state);
        if (_current is null || _current.Uri.ToString() != ObjectStoreUri.Parse(folder).ToString())
            _current = new RemoteFolder(ObjectStoreUri.Parse(folder), _store, _owner);
        return _current;
    }

    /// <summary>Waits for the uploads, throwing if any failed.</summary>
    public void WaitForAll() => _current?.Queue.WaitForAll();

    private static string Fill(string pattern, State state) => pattern.Replace("{run_name}", state.RunName, StringComparison.Ordinal);
}
