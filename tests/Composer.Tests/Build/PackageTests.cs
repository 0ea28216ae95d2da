using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using Composer.Tests.Checkpoints;

namespace Composer.Tests.Build;

/// <summary>
/// The packages as a user gets them: Composer.NET, Composer.NET.WandB and Composer.NET.HuggingFace are packed from this
/// repository into a folder, and a fresh console project outside the repository (no Directory.Build files, no central
/// versions) adds them with TorchSharp-cpu, builds (the native-library fix runs from the package), trains with a
/// WandBLogger, and writes and strictly reloads a Hugging Face folder.
/// </summary>
[NonParallelizable]
public class PackageTests : FolderTests
{
    private static readonly string Root = FindRoot();

    private static string FindRoot()
    {
        string directory = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(directory, "Composer.Generators.sln")))
            directory = Path.GetDirectoryName(directory.TrimEnd(Path.DirectorySeparatorChar)) ?? throw new InvalidOperationException("not in a clone");
        return directory;
    }

    private static (int ExitCode, string Output) Dotnet(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        // The repository's own build settings must not reach the fresh project.
        foreach (string variable in new[] { "MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildSDKsPath" }) start.Environment.Remove(variable);
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(), errors = process.StandardError.ReadToEndAsync();
        Assert.That(process.WaitForExit(TimeSpan.FromMinutes(5)), Is.True, $"dotnet {string.Join(" ", args)} finished");
        return (process.ExitCode, output.Result + errors.Result);
    }

    [Test]
    public void AFreshProjectTrainsWithThePackedPackagesAndTheCorePackageCarriesNoOptionalDependencies()
    {
        string feed = Folder(), project = Folder();
        string version = $"0.1.0-packagetest.{DateTime.UtcNow:yyyyMMddHHmmss}";
        foreach (string package in new[] { "src/Composer", "src/Composer.WandB", "src/Composer.HuggingFace", "src/Composer.Azure", "src/Composer.S3" })
        {
            (int exit, string output) = Dotnet(Root, "pack", package, "-c", "Release", "--no-build", "-o", feed, $"-p:PackageVersion={version}", "-nodeReuse:false");
            Assert.That(exit, Is.EqualTo(0), output);
        }

        // The core's own three, and TorchSharp's dependencies that central transitive pinning lists beside them; no
        // protobuf compiler, no YAML, nothing of W&B's.
        Assert.That(Dependencies(Path.Combine(feed, $"Composer.NET.{version}.nupkg")),
            Is.SubsetOf(new[] { "TorchSharp", "TorchVision", "Spectre.Console", "System.IO.Hashing", "Google.Protobuf", "SharpZipLib", "SkiaSharp",
                "SkiaSharp.NativeAssets.Linux.NoDependencies" })
                .And.Contains("TorchSharp").And.Not.Contains("YamlDotNet").And.Not.Contains("Grpc.Tools"));
        Assert.That(Dependencies(Path.Combine(feed, $"Composer.NET.WandB.{version}.nupkg")), Does.Contain("Composer.NET").And.Contain("Google.Protobuf").And.Contain("YamlDotNet"));
        using (ZipArchive core = ZipFile.OpenRead(Path.Combine(feed, $"Composer.NET.{version}.nupkg")))
            Assert.That(core.Entries.Select(e => e.FullName).Where(n => n.StartsWith("analyzers/", StringComparison.Ordinal)),
                Is.EquivalentTo(new[] { "analyzers/dotnet/cs/Composer.Generators.dll", "analyzers/dotnet/cs/Composer.Generators.CodeFixes.dll" }));
        Assert.That(Dependencies(Path.Combine(feed, $"Composer.NET.HuggingFace.{version}.nupkg")),
            Does.Contain("Composer.NET").And.Contain("TorchSharp.PyBridge").And.Contain("Microsoft.ML.Tokenizers").And.Not.Contains("Grpc.Tools"));
        // The cloud SDKs come only with their own packages.
        Assert.That(Dependencies(Path.Combine(feed, $"Composer.NET.Azure.{version}.nupkg")), Does.Contain("Composer.NET").And.Contain("Azure.Storage.Blobs"));
        Assert.That(Dependencies(Path.Combine(feed, $"Composer.NET.S3.{version}.nupkg")), Does.Contain("Composer.NET").And.Contain("AWSSDK.S3"));

        File.WriteAllText(Path.Combine(project, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="composer-packed" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(project, "Fresh.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Composer.NET" Version="{version}" />
                <PackageReference Include="Composer.NET.WandB" Version="{version}" />
                <PackageReference Include="Composer.NET.HuggingFace" Version="{version}" />
                <PackageReference Include="Composer.NET.Azure" Version="{version}" />
                <PackageReference Include="Composer.NET.S3" Version="{version}" />
                <PackageReference Include="TorchSharp-cpu" Version="0.107.0" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(project, "Program.cs"), """
            using Composer;
            using Composer.Core;
            using Composer.Data;
            using Composer.Datasets;
            using Composer.Loggers.WandB;
            using Composer.Models;
            using TorchSharp;

            var model = new ComposerClassifier(torch.nn.Linear(4, 3), numClasses: 3);
            var wandb = new WandBLogger(project: "fresh", initKwargs: new Dictionary<string, object> { ["mode"] = "offline", ["dir"] = "." });
            FitResult result = new FreshTrainer(wandb, new TrainerOptions
            {
                Model = model,
                TrainDataloader = new DataLoader(new SyntheticBatchPairDataset(32, [4], numClasses: 3), batchSize: 8),
                MaxDuration = Time.Parse("2ep"),
                LogInterval = 1,
            }).Fit();
            Console.WriteLine($"trained {result.Timestamp.Batch} batches into {wandb.RunFolder}");

            // A Hugging Face folder written and read back strictly through the packed Composer.NET.HuggingFace.
            var bert = new BertForSequenceClassification(new BertConfig
            {
                VocabSize = 20, HiddenSize = 8, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 16, MaxPositionEmbeddings = 8,
            }.WithNumLabels(2));
            bert.SavePretrained("hf");
            BertForSequenceClassification.FromPretrained("hf", numLabels: null, strict: true, out LoadReport report);
            Console.WriteLine(report);

            // The core finds each referenced store package by its URI scheme (here without credentials or region).
            foreach (string uri in new[] { "azure://container/run", "s3://bucket/run" })
            {
                try
                {
                    using var store = Composer.ObjectStores.ObjectStore.For(Composer.ObjectStores.ObjectStoreUri.Parse(uri));
                    Console.WriteLine($"{uri}: {store.GetType().Name}");
                }
                catch (Composer.ObjectStores.ObjectStoreException e)
                {
                    Console.WriteLine($"{uri}: {e.Message}");
                }
            }

            [Trainer(typeof(WandBLogger))]
            public partial class FreshTrainer;
            """);

        (int built, string buildOutput) = Dotnet(project, "build", "-c", "Release", "-nodeReuse:false", "-v", "n");
        Assert.That(built, Is.EqualTo(0), buildOutput);
        Assert.That(buildOutput, Does.Contain("GLIBCXX_3.4.32").Or.Contain("needs no patch"), "the package's native-library fix ran");
        // The code fixes' assembly sits beside the generator without the compiler failing to load it.
        Assert.That(buildOutput, Does.Not.Contain("CS8034").And.Not.Contain("CS8032"));
        (int ran, string runOutput) = Dotnet(project, "run", "-c", "Release", "--no-build");
        Assert.That(ran, Is.EqualTo(0), runOutput);
        Assert.That(runOutput, Does.Contain("trained 8 batches").And.Contain("All weights were loaded."));
        Assert.That(runOutput, Does.Match("azure://container/run: (AzureBlobObjectStore|azure://container needs credentials)")
            .And.Match("s3://bucket/run: (S3ObjectStore|s3://bucket needs a region)"), "the store packages are found by scheme");
        string run = Directory.GetDirectories(Path.Combine(project, "wandb"), "offline-run-*").Single();
        Assert.That(Directory.GetFiles(run, "run-*.wandb"), Has.Length.EqualTo(1));
    }

    // The package ids a nupkg's nuspec depends on, over its target frameworks.
    private static string[] Dependencies(string nupkg)
    {
        using ZipArchive archive = ZipFile.OpenRead(nupkg);
        using Stream nuspec = archive.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return [.. XDocument.Load(nuspec).Descendants().Where(e => e.Name.LocalName == "dependency")
            .Select(e => (string)e.Attribute("id")!).Distinct()];
    }
}
