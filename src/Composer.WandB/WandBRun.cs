using System.Globalization;
using System.Text.Json;
using Composer.Loggers.WandB.Records;
using Google.Protobuf.WellKnownTypes;

namespace Composer.Loggers.WandB;

/// <summary>
/// One W&amp;B run folder as the official client writes it offline (<c>wandb/sdk/wandb_settings.py</c>):
/// <c>&lt;dir&gt;/wandb/offline-run-&lt;YYYYMMDD_HHMMSS&gt;-&lt;id&gt;/</c> with the record log <c>run-&lt;id&gt;.wandb</c> and a
/// <c>files/</c> folder, plus the <c>wandb/latest-run</c> link. Records are numbered in the order written.
/// </summary>
internal sealed class WandBRun : IDisposable
{
    private readonly RecordLog _log;
    private long _number;

    public WandBRun(string directory, string id, DateTime startedUtc)
    {
        Id = id;
        StartedUtc = startedUtc;
        string wandb = Path.Combine(directory, "wandb");
        string name = $"offline-run-{startedUtc.ToLocalTime():yyyyMMdd_HHmmss}-{id}";
        Folder = Path.Combine(wandb, name);
        for (int i = 2; Directory.Exists(Folder); i++)
            Folder = Path.Combine(wandb, $"{name}-{i}");
        FilesFolder = Path.Combine(Folder, "files");
        Directory.CreateDirectory(FilesFolder);
        _log = new RecordLog(Path.Combine(Folder, $"run-{id}.wandb"));
        PointLatestRun(wandb, Path.GetFileName(Folder));
    }

    public string Id { get; }

    public DateTime StartedUtc { get; }

    /// <summary>The run's folder, the argument of <c>wandb sync</c>.</summary>
    public string Folder { get; }

    /// <summary>Where the run's files go (config.yaml, media, output.log, ...).</summary>
    public string FilesFolder { get; }

    /// <summary>Seconds since the run started.</summary>
    public double Runtime => (DateTime.UtcNow - StartedUtc).TotalSeconds;

    public void Write(Record record)
    {
        record.Num = ++_number;
        _log.Write(record);
    }

    /// <summary>Writes <paramref name="bytes"/> to <c>files/</c><paramref name="relativePath"/> and records it for upload.</summary>
    public void WriteFile(string relativePath, byte[] bytes, FilesItem.Types.FileType type, FilesItem.Types.PolicyType policy = FilesItem.Types.PolicyType.Now)
    {
        string path = Path.Combine(FilesFolder, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        RecordFile(relativePath, type, policy);
    }

    public void RecordFile(string relativePath, FilesItem.Types.FileType type, FilesItem.Types.PolicyType policy) =>
        Write(new Record { Files = new FilesRecord { Files = { new FilesItem { Path = relativePath.Replace('\\', '/'), Type = type, Policy = policy } } } });

    public void Flush() => _log.Flush();

    public void Dispose() => _log.Dispose();

    /// <summary>A value as W&amp;B's <c>value_json</c>: JSON, with Python's NaN and Infinity for non-finite numbers.</summary>
    public static string Json(object? value) => value switch
    {
        double d when double.IsNaN(d) => "NaN",
        double d when double.IsPositiveInfinity(d) => "Infinity",
        double d when double.IsNegativeInfinity(d) => "-Infinity",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => Json((double)f),
        _ => JsonSerializer.Serialize(value),
    };

    public static Timestamp Now() => Timestamp.FromDateTime(DateTime.UtcNow);

    private static void PointLatestRun(string wandb, string target)
    {
        string link = Path.Combine(wandb, "latest-run");
        try
        {
            if (File.Exists(link) || Directory.Exists(link) || new FileInfo(link).LinkTarget is not null) File.Delete(link);
            Directory.CreateSymbolicLink(link, target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            // A convenience only; the run folder is complete without it.
        }
    }
}
