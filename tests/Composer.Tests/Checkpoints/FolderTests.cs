namespace Composer.Tests.Checkpoints;

/// <summary>Tests that write checkpoint folders: each gets fresh temporary folders, removed after the test.</summary>
public abstract class FolderTests
{
    private readonly List<string> _folders = [];

    [TearDown]
    public void RemoveFolders()
    {
        foreach (string folder in _folders)
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        _folders.Clear();
    }

    /// <summary>A new empty folder, removed after the test.</summary>
    protected string Folder()
    {
        string folder = CheckpointSetup.NewFolder();
        _folders.Add(folder);
        return folder;
    }
}
