using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Composer.Models;

/// <summary>
/// A BERT model's shape, under the keys of Hugging Face's <c>BertConfig</c> (<c>config.json</c>); keys this does not
/// know are kept, so a folder loaded and saved again keeps them.
/// </summary>
public sealed record BertConfig
{
    /// <summary><c>vocab_size</c>: the number of token ids.</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 30522;

    /// <summary><c>hidden_size</c>: the width of every layer.</summary>
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 768;

    /// <summary><c>num_hidden_layers</c>.</summary>
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;

    /// <summary><c>num_attention_heads</c>; divides <see cref="HiddenSize"/>.</summary>
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 12;

    /// <summary><c>intermediate_size</c>: the width of the feed-forward layer.</summary>
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 3072;

    /// <summary><c>hidden_act</c>: <c>gelu</c> (exact), <c>gelu_new</c>/<c>gelu_pytorch_tanh</c> (tanh form), <c>relu</c>.</summary>
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "gelu";

    /// <summary><c>hidden_dropout_prob</c>.</summary>
    [JsonPropertyName("hidden_dropout_prob")] public double HiddenDropoutProb { get; init; } = 0.1;

    /// <summary><c>attention_probs_dropout_prob</c>.</summary>
    [JsonPropertyName("attention_probs_dropout_prob")] public double AttentionProbsDropoutProb { get; init; } = 0.1;

    /// <summary><c>max_position_embeddings</c>: the longest sequence.</summary>
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 512;

    /// <summary><c>type_vocab_size</c>: the number of token types (segments).</summary>
    [JsonPropertyName("type_vocab_size")] public int TypeVocabSize { get; init; } = 2;

    /// <summary><c>layer_norm_eps</c>.</summary>
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-12;

    /// <summary><c>initializer_range</c>: the standard deviation of new weights.</summary>
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; init; } = 0.02;

    /// <summary><c>pad_token_id</c>.</summary>
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; }

    /// <summary><c>classifier_dropout</c>: the classifier head's dropout; <see cref="HiddenDropoutProb"/> when null.</summary>
    [JsonPropertyName("classifier_dropout")] public double? ClassifierDropout { get; init; }

    /// <summary>
    /// <c>id2label</c>: the classes of a classification head, whose count is Hugging Face's <c>num_labels</c>; null
    /// for a bare encoder.
    /// </summary>
    [JsonPropertyName("id2label")] public Dictionary<string, string>? Id2Label { get; init; }

    /// <summary>The number of classes (Hugging Face's <c>num_labels</c>), 2 when the config names none.</summary>
    [JsonIgnore] public int NumLabels => Id2Label?.Count ?? 2;

    /// <summary>The keys of the file this does not model, written back unchanged.</summary>
    [JsonExtensionData] public Dictionary<string, JsonElement>? Other { get; init; }

    /// <summary>The same config with <paramref name="numLabels"/> classes named <c>LABEL_0</c>... as Hugging Face names them.</summary>
    public BertConfig WithNumLabels(int numLabels)
    {
        if (numLabels < 1) throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "A classification head needs at least one label.");
        return this with { Id2Label = Enumerable.Range(0, numLabels).ToDictionary(i => i.ToString(), i => $"LABEL_{i}") };
    }

    /// <summary>Reads <c>config.json</c>.</summary>
    /// <exception cref="InvalidDataException">The file is not a BERT config; the message names the key or value.</exception>
    public static BertConfig Load(string path)
    {
        string text = File.ReadAllText(path);
        BertConfig config = JsonSerializer.Deserialize<BertConfig>(text)
            ?? throw new InvalidDataException($"{path} is empty.");
        string? modelType = config.Other is { } other && other.TryGetValue("model_type", out JsonElement type) ? type.GetString() : null;
        if (modelType is not null && modelType != "bert")
            throw new InvalidDataException($"{path} describes a '{modelType}' model; Composer.Models reads BERT-family folders (model_type \"bert\").");
        config.Validate(path);
        return config;
    }

    /// <summary>The config as Hugging Face writes <c>config.json</c>, with <c>model_type</c> and <c>architectures</c>.</summary>
    public string ToJson(string? architecture = null)
    {
        JsonObject json = JsonSerializer.SerializeToNode(this, new JsonSerializerOptions { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull })!.AsObject();
        json["model_type"] = "bert";
        if (architecture is not null) json["architectures"] = new JsonArray(architecture);
        if (Id2Label is not null)
            json["label2id"] = new JsonObject(Id2Label.Select(p => KeyValuePair.Create(p.Value, (JsonNode?)int.Parse(p.Key))));
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    internal void Validate(string source)
    {
        if (HiddenSize % NumAttentionHeads != 0)
            throw new InvalidDataException($"{source}: hidden_size {HiddenSize} is not a multiple of num_attention_heads {NumAttentionHeads}.");
        if (HiddenAct is not ("gelu" or "gelu_new" or "gelu_pytorch_tanh" or "relu"))
            throw new InvalidDataException($"{source}: hidden_act '{HiddenAct}' is not one of gelu, gelu_new, gelu_pytorch_tanh, relu.");
    }
}
