namespace Composer.ObjectStores;

/// <summary>
/// Where a checkpoint named by an object store URI is downloaded before it is read:
/// <c>&lt;cache&gt;/&lt;scheme&gt;/&lt;bucket&gt;/&lt;object name&gt;</c>. A name ending in <c>.symlink</c> is a pointer
/// (Composer's) and the object it names is downloaded. The download goes to a temporary file renamed into place, and
/// a disk without room for it is an error naming the folder before a byte is written.
/// </summary>
internal static class DownloadCache
{
    /// <summary>The folder used when none is given.</summary>
    public static string DefaultFolder => Path.Combine(Path.GetTempPath(), "composer-checkpoints");

    /// <summary>Downloads <paramref name="location"/> into <paramref name="cacheFolder"/>; returns the local path.</summary>
    /// <exception cref="ObjectStoreException">There is no such object, the store failed, or the folder has no room for it.</exception>
    public static string Fetch(string location, ObjectStore? store, string? cacheFolder)
    {
        ObjectStoreUri uri = ObjectStoreUri.Parse(location);
        cacheFolder ??= DefaultFolder;
        ObjectStore owned = store ?? ObjectStore.For(uri);
        try
        {
            string key = uri.Path;
            string pointers = Path.Combine(cacheFolder, uri.Scheme, uri.Bucket);
            if (key.EndsWith(RemoteFolder.PointerSuffix, StringComparison.Ordinal)) key = RemoteFolder.ReadPointer(owned, key, pointers);
            long size = owned.SizeAsync(key).GetAwaiter().GetResult()
                ?? throw new ObjectStoreException($"There is no checkpoint at {owned.UriOf(key)}. Check LoadPath against the store's listing.");
            string path = Path.Combine(cacheFolder, uri.Scheme, uri.Bucket, key.Replace('/', Path.DirectorySeparatorChar));
            string folder = Path.GetDirectoryName(path)!;
            Directory.CreateDirectory(folder);
            RequireRoom(folder, size, owned.UriOf(key));
            try
            {
                owned.DownloadAsync(key, path).GetAwaiter().GetResult();
            }
            catch (ObjectStoreException e) when (FreeBytes(folder) < size)
            {
                throw NoRoom(folder, size, owned.UriOf(key), e);
            }
            return path;
        }
        finally
        {
            if (store is null) owned.Dispose();
        }
    }

    private static void RequireRoom(string folder, long size, string what)
    {
        if (FreeBytes(folder) < size) throw NoRoom(folder, size, what, null);
    }

    private static long FreeBytes(string folder) => new DriveInfo(Path.GetFullPath(folder)).AvailableFreeSpace;

    private static ObjectStoreException NoRoom(string folder, long size, string what, Exception? inner) => new(
        $"{what} is {size / 1048576.0:N1} MiB, but the cache folder {folder} has {FreeBytes(folder) / 1048576.0:N1} MiB free. " +
        "Free space there, or set TrainerOptions.LoadCacheFolder to a folder with room.", transient: false, inner);
}
