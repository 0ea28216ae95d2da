using System.Diagnostics;
using System.Text.Json;

namespace Composer.Tests.Distributed;

/// <summary>
/// Runs the worker program (tests/Composer.Distributed.Worker) under <c>mpirun</c> or alone, and reads back what each
/// rank wrote. The tests that need it are skipped, saying why, where Open MPI is not installed (.ci/run installs it).
/// </summary>
internal static class MpiRun
{
    public sealed record Outcome(int ExitCode, string Output, TimeSpan Elapsed, IReadOnlyList<JsonElement> Ranks);

    public static string Worker { get; } = Path.Combine(
        AppContext.BaseDirectory.Replace("Composer.Tests", "Composer.Distributed.Worker", StringComparison.Ordinal),
        "Composer.Distributed.Worker.dll");

    public static void RequireMpi()
    {
        if (Which("mpirun") is null)
            Assert.Ignore("Open MPI is not installed: 'apt-get install openmpi-bin libopenmpi-dev' (.ci/run does this).");
        Assert.That(File.Exists(Worker), Is.True, $"the worker is built beside the tests: {Worker}");
    }

    /// <summary>Runs <paramref name="processes"/> ranks (or the worker alone when null) and reads rank*.json.</summary>
    public static Outcome Run(int? processes, string scenario, params string[] options)
    {
        string output = Directory.CreateTempSubdirectory("composer-mpi-").FullName;
        try
        {
            var start = new ProcessStartInfo(processes is null ? "dotnet" : "mpirun")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            if (processes is { } n)
            {
                // As root in containers; two cores; Docker's ptrace limits break the shared-memory fast path.
                foreach (string a in new[] { "-np", n.ToString(), "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "dotnet" })
                    start.ArgumentList.Add(a);
                start.Environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none";
            }
            start.ArgumentList.Add(Worker);
            start.ArgumentList.Add(scenario);
            start.ArgumentList.Add(output);
            foreach (string option in options) start.ArgumentList.Add(option);
            foreach (string variable in new[] { "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "PMIX_RANK" })
                start.Environment.Remove(variable);

            var clock = Stopwatch.StartNew();
            using Process process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"{scenario} did not finish in 3 minutes (a hang): {stderr.Result}");
            }
            clock.Stop();
            var ranks = Directory.GetFiles(output, "rank*.json").Order(StringComparer.Ordinal)
                .Select(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement.Clone()).ToList();
            return new Outcome(process.ExitCode, stdout.Result + stderr.Result, clock.Elapsed, ranks);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    public static float[] Floats(JsonElement rank, string name) => rank.GetProperty(name).EnumerateArray().Select(e => e.GetSingle()).ToArray();

    public static double MaxDifference(float[] a, float[] b)
    {
        Assert.That(a, Has.Length.EqualTo(b.Length));
        return a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
    }

    private static string? Which(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);
}
