using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Models;

#pragma warning disable IDE1006 // Naming: the field names are the parameter names of Hugging Face checkpoints.

/// <summary>
/// Hugging Face's <c>BertForSequenceClassification</c>: <see cref="BertModel"/> under <c>bert</c>, dropout, and a linear
/// <c>classifier</c> on the pooled first token, giving [batch, <see cref="BertConfig.NumLabels"/>] logits.
/// </summary>
public sealed class BertForSequenceClassification : nn.Module
{
    private readonly BertModel bert;
    private readonly Dropout dropout;
    private readonly Linear classifier;

    /// <summary>Builds the model with new weights.</summary>
    public BertForSequenceClassification(BertConfig config) : base(nameof(BertForSequenceClassification))
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        bert = new BertModel(config);
        dropout = nn.Dropout(config.ClassifierDropout ?? config.HiddenDropoutProb);
        classifier = nn.Linear(config.HiddenSize, config.NumLabels);
        RegisterComponents();
        BertInitialization.Apply(classifier, config);
    }

    /// <summary>The configuration; <see cref="BertConfig.NumLabels"/> is the number of classes.</summary>
    public BertConfig Config { get; }

    /// <summary>The encoder.</summary>
    public BertModel Bert => bert;

    /// <summary>
    /// Loads a Hugging Face folder, as <c>AutoModelForSequenceClassification.from_pretrained(folder, num_labels=...)</c>:
    /// a bare encoder's checkpoint (MiniLM, <c>bert-base-uncased</c>'s <c>BertModel</c> weights) leaves the classifier newly
    /// initialized, and the report says so.
    /// </summary>
    /// <param name="folder">The folder.</param>
    /// <param name="numLabels">The number of classes; the config's when null.</param>
    /// <param name="strict">Throw when a weight is missing, unexpected or of another shape.</param>
    /// <param name="report">What was missing, unexpected or of another shape.</param>
    public static BertForSequenceClassification FromPretrained(string folder, int? numLabels, bool strict, out LoadReport report)
    {
        BertConfig config = BertConfig.Load(Path.Combine(folder, "config.json"));
        if (numLabels is { } labels) config = config.WithNumLabels(labels);
        var model = new BertForSequenceClassification(config);
        report = HuggingFaceWeights.Load(model, folder, strict, baseModelPrefix: "bert");
        return model;
    }

    /// <inheritdoc cref="FromPretrained(string, int?, bool, out LoadReport)"/>
    public static BertForSequenceClassification FromPretrained(string folder, int? numLabels = null) =>
        FromPretrained(folder, numLabels, strict: false, out _);

    /// <summary>Saves <c>config.json</c> and <c>model.safetensors</c>, which Python's <c>from_pretrained</c> reads.</summary>
    public void SavePretrained(string folder)
    {
        Directory.CreateDirectory(folder);
        HuggingFaceWeights.Save(this, folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), Config.ToJson(nameof(BertForSequenceClassification)));
    }

    /// <summary>The logits, [batch, classes].</summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null)
    {
        BertModelOutput output = bert.Forward(inputIds, attentionMask, tokenTypeIds);
        return classifier.forward(dropout.forward(output.PoolerOutput!));
    }
}
