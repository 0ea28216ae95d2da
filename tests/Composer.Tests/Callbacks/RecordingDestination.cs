using Composer.Core;
using Composer.Loggers;

namespace Composer.Tests.Callbacks;

/// <summary>A destination that keeps the images and files it is given, for the callbacks that log them.</summary>
public sealed class RecordingDestination : LoggerDestination
{
    public List<(long Batch, string Name, IReadOnlyList<LoggedImage> Images)> Images { get; } = [];

    public List<(string RemoteName, string Path)> Files { get; } = [];

    public override void LogImages(Timestamp timestamp, string name, IReadOnlyList<LoggedImage> images) => Images.Add((timestamp.Batch, name, images));

    public override void UploadFile(State state, string remoteName, string path) => Files.Add((remoteName, path));
}
