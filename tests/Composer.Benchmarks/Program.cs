// Composer.NET's benchmarks. Run from the repository root:
//   dotnet run -c Release --project tests/Composer.Benchmarks -- --filter '*'        every benchmark
//   dotnet run -c Release --project tests/Composer.Benchmarks -- --filter '*Dispatch*'
//   dotnet run -c Release --project tests/Composer.Benchmarks -- --native-memory     RSS after 1k and 5k steps
//   dotnet run -c Release --project tests/Composer.Benchmarks -- --phases tiny|mlp|cnn [rounds] the loops in one process, in turn:
//                                                                                     where the Trainer's time per batch goes
//   dotnet run -c Release --project tests/Composer.Benchmarks -- --data-path          the loader and Batch alone against hand indexing
//   dotnet run -c Release --project tests/Composer.Benchmarks -- --precision [rounds] fp32 against amp_bf16 per model, in turn in one process
//   dotnet run -c Release --project tests/Composer.Benchmarks -- --precision-arm MODEL fp32|amp_bf16 [cl] BATCHES
//                                                                                     one arm alone, to run under a profiler (perf record)
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Perfolizer.Metrology;
using Composer.Benchmarks.EndToEnd;
using Composer.Benchmarks.Generator;

if (NativeMemoryGrowth.TryRunChild(args)) return 0;
if (args is ["--native-memory"]) return NativeMemoryGrowth.Run();
if (args is ["--phases", var model]) return PhaseTiming.Run(model);
if (args is ["--phases", var model2, var rounds]) return PhaseTiming.Run(model2, int.Parse(rounds));
if (args is ["--data-path"]) return DataPathTiming.Run();
if (args is ["--precision"]) return Composer.Benchmarks.Precision.PrecisionTiming.Run();
if (args is ["--precision", var precisionRounds]) return Composer.Benchmarks.Precision.PrecisionTiming.Run(int.Parse(precisionRounds));
if (args is ["--precision-arm", var armModel, var armPrecision, var armBatches])
    return Composer.Benchmarks.Precision.PrecisionTiming.RunArm(armModel, armPrecision, channelsLast: false, int.Parse(armBatches));
if (args is ["--precision-arm", var clModel, var clPrecision, "cl", var clBatches])
    return Composer.Benchmarks.Precision.PrecisionTiming.RunArm(clModel, clPrecision, channelsLast: true, int.Parse(clBatches));

// The benchmark processes inherit the folder their peak memory is written to.
string peaks = Path.Combine(Directory.GetCurrentDirectory(), "BenchmarkDotNet.Artifacts", "peaks");
if (Directory.Exists(peaks)) Directory.Delete(peaks, recursive: true);
Environment.SetEnvironmentVariable(PeakWorkingSet.DirectoryVariable, peaks);

// BenchmarkDotNet builds each benchmark in a project of its own that skips Directory.Build.targets, so the
// GLIBCXX fix for libLibTorchSharp.so is passed to that build by hand.
string root = AppContext.BaseDirectory;
while (!File.Exists(Path.Combine(root, "Composer.Generators.sln")))
    root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar))
        ?? throw new InvalidOperationException("Run the benchmarks from a clone of the repository.");
var glibcxxFix = new MsBuildArgument($"/p:CustomAfterMicrosoftCommonTargets={Path.Combine(root, "src", "Composer", "buildTransitive", "Composer.NET.targets")}");

IConfig config = DefaultConfig.Instance
    // Medians are quoted; ratios are of medians to the baseline measured in the same run.
    .AddColumn(StatisticColumn.Median, StatisticColumn.P95)
    .AddColumn(new PeakWorkingSet.Column(), new GeneratorBenchmarks.RerunColumn())
    // Bytes, so that "0 B allocated by the framework" can be read off exactly.
    .WithSummaryStyle(SummaryStyle.Default.WithSizeUnit(SizeUnit.B))
    .AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(15).WithArguments([glibcxxFix]).WithId("composer"));
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
return 0;
