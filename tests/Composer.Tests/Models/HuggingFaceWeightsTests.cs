using System.Text.Json;
using Composer.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Models;

/// <summary>Hugging Face folders: from_pretrained's prefix rules and report, strict loading, and saving both formats.</summary>
public class HuggingFaceWeightsTests
{
    private string _folder = "";

    [SetUp]
    public void MakeFolder() => _folder = Directory.CreateTempSubdirectory("composer-hf-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_folder, recursive: true);

    private static BertConfig Tiny => new()
    {
        VocabSize = 50, HiddenSize = 16, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 32, MaxPositionEmbeddings = 24,
    };

    [Test]
    public void AnEncoderCheckpointLoadsIntoTheClassifierWhoseHeadIsReportedNew()
    {
        using var model = BertForSequenceClassification.FromPretrained(MiniLMFixture.Folder, numLabels: 2, strict: false, out LoadReport report);
        Assert.That(report.Missing, Is.EquivalentTo(new[] { "classifier.weight", "classifier.bias" }));
        Assert.That(report.Unexpected, Is.Empty);
        Assert.That(report.ToString(), Does.Contain("newly initialized: [classifier.weight, classifier.bias]"));
        using var encoder = BertModel.FromPretrained(MiniLMFixture.Folder);
        Assert.That(model.state_dict()["bert.encoder.layer.5.output.dense.weight"].equal(encoder.state_dict()["encoder.layer.5.output.dense.weight"]).all().item<bool>());
        Assert.Throws<InvalidDataException>(() => BertForSequenceClassification.FromPretrained(MiniLMFixture.Folder, 2, strict: true, out _));
    }

    [Test]
    public void SavedClassifiersLoadBackExactlyWithTheirConfig()
    {
        torch.manual_seed(3);
        using var model = new BertForSequenceClassification(Tiny.WithNumLabels(3));
        model.SavePretrained(_folder);

        using var loaded = BertForSequenceClassification.FromPretrained(_folder, numLabels: null, strict: true, out LoadReport report);
        Assert.That(report.IsExact);
        Assert.That(loaded.Config.NumLabels, Is.EqualTo(3));
        foreach ((string name, Tensor value) in model.state_dict())
            Assert.That(loaded.state_dict()[name].equal(value).all().item<bool>(), name);
        using JsonDocument config = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, "config.json")));
        Assert.That(config.RootElement.GetProperty("architectures")[0].GetString(), Is.EqualTo("BertForSequenceClassification"));
        Assert.That(config.RootElement.GetProperty("model_type").GetString(), Is.EqualTo("bert"));
        Assert.That(config.RootElement.GetProperty("label2id").GetProperty("LABEL_2").GetInt32(), Is.EqualTo(2));
        Assert.That(config.RootElement.GetProperty("hidden_size").GetInt32(), Is.EqualTo(16));
    }

    [Test]
    public void PyTorchBinFilesRoundTripAndTaskCheckpointsLoadIntoTheBareEncoder()
    {
        torch.manual_seed(4);
        using var model = new BertForSequenceClassification(Tiny.WithNumLabels(2));
        HuggingFaceWeights.Save(model, _folder, safetensors: false);
        File.WriteAllText(Path.Combine(_folder, "config.json"), model.Config.ToJson());
        Assert.That(File.Exists(Path.Combine(_folder, HuggingFaceWeights.PyTorchFile)));

        // The classifier's bert.* weights go to the bare encoder; the head is unexpected there.
        using var encoder = BertModel.FromPretrained(_folder, strict: false, out LoadReport report);
        Assert.That(report.Missing, Is.Empty);
        Assert.That(report.Unexpected, Is.EquivalentTo(new[] { "classifier.weight", "classifier.bias" }));
        Assert.That(encoder.state_dict()["pooler.dense.weight"].equal(model.state_dict()["bert.pooler.dense.weight"]).all().item<bool>());
    }

    [Test]
    public void ShapesThatDifferAreReportedAndStrictLoadingRefusesThem()
    {
        using (var two = new BertForSequenceClassification(Tiny.WithNumLabels(2))) two.SavePretrained(_folder);
        using var five = BertForSequenceClassification.FromPretrained(_folder, numLabels: 5, strict: false, out LoadReport report);
        Assert.That(report.Mismatched.Select(m => m.Name), Is.EquivalentTo(new[] { "classifier.weight", "classifier.bias" }));
        Assert.That(report.Mismatched.First(m => m.Name == "classifier.weight").Checkpoint, Is.EqualTo(new long[] { 2, 16 }));
        var error = Assert.Throws<InvalidDataException>(() => BertForSequenceClassification.FromPretrained(_folder, 5, strict: true, out _));
        Assert.That(error!.Message, Does.Contain("classifier.weight: found shape [2, 16] in the checkpoint and [5, 16] in the model"));
    }

    [Test]
    public void AFolderWithoutWeightsSaysWhatItHolds()
    {
        File.WriteAllText(Path.Combine(_folder, "config.json"), Tiny.ToJson());
        var error = Assert.Throws<FileNotFoundException>(() => BertModel.FromPretrained(_folder));
        Assert.That(error!.Message, Does.Contain("neither model.safetensors nor pytorch_model.bin (found: config.json)"));
    }

    [Test]
    public void AnotherModelTypeIsRefusedByName()
    {
        File.WriteAllText(Path.Combine(_folder, "config.json"), """{"model_type": "gpt2", "vocab_size": 10}""");
        var error = Assert.Throws<InvalidDataException>(() => BertModel.FromPretrained(_folder));
        Assert.That(error!.Message, Does.Contain("describes a 'gpt2' model"));
    }
}
