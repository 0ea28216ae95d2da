using System.Diagnostics;

namespace Composer.Loggers.WandB;

/// <summary>
/// Online mode: runs the W&amp;B client's <c>wandb sync &lt;run folder&gt;</c> in the background every few minutes and once
/// when the run ends, so the run appears in W&amp;B while it trains. Without the <c>wandb</c> command the run stays
/// offline, and this says once how to upload it. It never reads or stores an API key: <c>wandb</c> uses its own login.
/// </summary>
internal sealed class WandBSync
{
    private static readonly TimeSpan Every = TimeSpan.FromMinutes(5);

    private readonly string _folder;
    private readonly string? _command;
    private readonly Timer? _timer;
    private int _running;

    public WandBSync(string folder, bool online)
    {
        _folder = folder;
        _command = online ? CommandOnPath() : null;
        if (_command is not null)
            _timer = new Timer(_ => SyncOnce(wait: false), null, Every, Every);
        else
            Console.Error.WriteLine($"W&B: the run is saved offline in {folder}; upload it with `wandb sync {folder}`" +
                (online ? " (no wandb command on the PATH: pip install wandb, then wandb login)." : "."));
    }

    /// <summary>The <c>wandb</c> command, when one is on the PATH.</summary>
    public static string? CommandOnPath() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, OperatingSystem.IsWindows() ? "wandb.exe" : "wandb"))
            .FirstOrDefault(File.Exists);

    /// <summary>Stops the periodic sync and syncs the finished run once more, waiting for it.</summary>
    public void Finish()
    {
        _timer?.Dispose();
        if (_command is not null) SyncOnce(wait: true);
    }

    private void SyncOnce(bool wait)
    {
        if (Interlocked.Exchange(ref _running, 1) == 1) return;
        try
        {
            var start = new ProcessStartInfo(_command!) { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("sync");
            start.ArgumentList.Add(_folder);
            using Process process = Process.Start(start)!;
            process.StandardOutput.ReadToEnd();
            string errors = process.StandardError.ReadToEnd();
            process.WaitForExit(wait ? TimeSpan.FromMinutes(10) : TimeSpan.FromMinutes(4));
            if (process.HasExited && process.ExitCode != 0)
                Console.Error.WriteLine($"W&B: `wandb sync {_folder}` failed ({process.ExitCode}): {errors.Trim()}");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            Console.Error.WriteLine($"W&B: could not run `wandb sync {_folder}`: {e.Message}");
        }
        finally
        {
            Interlocked.Exchange(ref _running, 0);
        }
    }
}
