namespace Composer.Checkpoints;

/// <summary>
/// A checkpoint could not be read (truncated, damaged, foreign, from a newer version) or does not fit the
/// trainer loading it. Loading checks the whole file before it changes anything, so the model and the
/// checkpoint folder are as they were.
/// </summary>
public sealed class CheckpointException : Exception
{
    /// <summary>Creates the exception for the checkpoint at <paramref name="path"/>.</summary>
    public CheckpointException(string path, string message, Exception? inner = null)
        : base($"Checkpoint \"{path}\": {message}", inner) => Path = path;

    /// <summary>The checkpoint file.</summary>
    public string Path { get; }
}
