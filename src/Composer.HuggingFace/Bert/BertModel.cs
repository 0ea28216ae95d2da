using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Models;

// Hugging Face's BERT (transformers/models/bert/modeling_bert.py) with its module names, so that parameter names are
// Hugging Face's: embeddings.word_embeddings.weight, encoder.layer.0.attention.self.query.weight, pooler.dense.bias...
// The fields are named after Hugging Face's attributes because TorchSharp names submodules by their field names.
#pragma warning disable IDE1006 // Naming: the field names are the parameter names of Hugging Face checkpoints.

/// <summary>The encoder's outputs: every token's last hidden state, and the pooled first token (Hugging Face's <c>pooler_output</c>).</summary>
public sealed record BertModelOutput(Tensor LastHiddenState, Tensor? PoolerOutput);

/// <summary>
/// Hugging Face's <c>BertModel</c>: embeddings (word, position, token type), a stack of post-LayerNorm transformer
/// layers and the pooler, with Hugging Face's parameter names and <see cref="BertConfig"/>'s keys.
/// </summary>
public sealed class BertModel : nn.Module
{
    private readonly BertEmbeddings embeddings;
    private readonly BertEncoder encoder;
    private readonly BertPooler? pooler;

    /// <summary>Builds the model with new weights (Hugging Face's initialization).</summary>
    /// <param name="config">The shape.</param>
    /// <param name="addPoolingLayer">Whether to build the pooler (Hugging Face's <c>add_pooling_layer</c>).</param>
    public BertModel(BertConfig config, bool addPoolingLayer = true) : base(nameof(BertModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate(nameof(config));
        Config = config;
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        pooler = addPoolingLayer ? new BertPooler(config) : null;
        RegisterComponents();
        BertInitialization.Apply(this, config);
    }

    /// <summary>The configuration.</summary>
    public BertConfig Config { get; }

    /// <summary>
    /// Loads a Hugging Face folder (<c>config.json</c>, and <c>model.safetensors</c> or <c>pytorch_model.bin</c>), as
    /// <c>BertModel.from_pretrained</c>; weights saved with a <c>bert.</c> prefix (by a task model) load too.
    /// </summary>
    /// <param name="folder">The folder.</param>
    /// <param name="strict">Throw when a weight is missing, unexpected or of another shape, instead of reporting it.</param>
    /// <param name="report">What was missing, unexpected or of another shape (Hugging Face's loading report).</param>
    public static BertModel FromPretrained(string folder, bool strict, out LoadReport report)
    {
        var model = new BertModel(BertConfig.Load(Path.Combine(folder, "config.json")));
        report = HuggingFaceWeights.Load(model, folder, strict, baseModelPrefix: null);
        return model;
    }

    /// <inheritdoc cref="FromPretrained(string, bool, out LoadReport)"/>
    public static BertModel FromPretrained(string folder) => FromPretrained(folder, strict: false, out _);

    /// <summary>Runs the encoder.</summary>
    /// <param name="inputIds">[batch, sequence] token ids.</param>
    /// <param name="attentionMask">[batch, sequence], 1 for tokens and 0 for padding; all ones when null.</param>
    /// <param name="tokenTypeIds">[batch, sequence] segment ids (0 for the first sentence, 1 for the second); zeros when null.</param>
    public BertModelOutput Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null)
    {
        if (inputIds.dim() != 2) throw new ArgumentException($"input_ids must be [batch, sequence], not [{string.Join(", ", inputIds.shape)}].", nameof(inputIds));
        long length = inputIds.shape[1];
        if (length > Config.MaxPositionEmbeddings)
            throw new ArgumentException($"The sequences have {length} tokens, more than max_position_embeddings {Config.MaxPositionEmbeddings}; truncate them (BertTokenizer's maxLength).", nameof(inputIds));
        Tensor hidden = embeddings.forward(inputIds, tokenTypeIds);
        // Hugging Face's extended mask: 0 where a token may attend, the dtype's lowest value where it is padding.
        Tensor? additive = attentionMask is null
            ? null
            : (1 - attentionMask.to(hidden.dtype)).unsqueeze(1).unsqueeze(2) * torch.finfo(hidden.dtype).min;
        Tensor last = encoder.forward(hidden, additive);
        return new BertModelOutput(last, pooler?.forward(last));
    }
}

/// <summary>Word, position and token-type embeddings, summed, then LayerNorm and dropout.</summary>
public sealed class BertEmbeddings : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    /// <summary>Builds the embeddings of <paramref name="config"/>.</summary>
    public BertEmbeddings(BertConfig config) : base(nameof(BertEmbeddings))
    {
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        _vocabulary = new VocabularyCheck(config.VocabSize, Data.Batch.InputIds);
        RegisterComponents();
    }

    private readonly VocabularyCheck _vocabulary;

    /// <inheritdoc/>
    public override Tensor forward(Tensor inputIds, Tensor? tokenTypeIds)
    {
        // A clear error instead of libtorch's "index out of range in self".
        _vocabulary.Check(inputIds);
        using var positions = torch.arange(inputIds.shape[1], dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0);
        Tensor types = tokenTypeIds ?? torch.zeros_like(inputIds);
        Tensor sum = word_embeddings.forward(inputIds) + token_type_embeddings.forward(types) + position_embeddings.forward(positions);
        return dropout.forward(LayerNorm.forward(sum));
    }
}

/// <summary>The stack of <see cref="BertLayer"/>s (<c>encoder.layer.N</c>).</summary>
public sealed class BertEncoder : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly ModuleList<BertLayer> layer;

    /// <summary>Builds <see cref="BertConfig.NumHiddenLayers"/> layers.</summary>
    public BertEncoder(BertConfig config) : base(nameof(BertEncoder))
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayer(config)).ToArray());
        RegisterComponents();
    }

    /// <summary>The layers.</summary>
    public IReadOnlyList<BertLayer> Layers => [.. layer];

    /// <inheritdoc/>
    public override Tensor forward(Tensor hidden, Tensor? additiveMask)
    {
        foreach (BertLayer block in layer) hidden = block.forward(hidden, additiveMask);
        return hidden;
    }
}

/// <summary>One transformer layer: self-attention, then the feed-forward block, each followed by add and LayerNorm.</summary>
public sealed class BertLayer : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly BertAttention attention;
    private readonly BertIntermediate intermediate;
    private readonly BertOutput output;

    /// <summary>Builds the layer.</summary>
    public BertLayer(BertConfig config) : base(nameof(BertLayer))
    {
        attention = new BertAttention(config);
        intermediate = new BertIntermediate(config);
        output = new BertOutput(config.IntermediateSize, config);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor hidden, Tensor? additiveMask)
    {
        Tensor attended = attention.forward(hidden, additiveMask);
        return output.forward(intermediate.forward(attended), attended);
    }
}

/// <summary>Self-attention and its output projection (<c>attention.self</c>, <c>attention.output</c>).</summary>
public sealed class BertAttention : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly BertSelfAttention self;
    private readonly BertOutput output;

    /// <summary>Builds the attention block.</summary>
    public BertAttention(BertConfig config) : base(nameof(BertAttention))
    {
        self = new BertSelfAttention(config);
        output = new BertOutput(config.HiddenSize, config);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor hidden, Tensor? additiveMask) => output.forward(self.forward(hidden, additiveMask), hidden);
}

/// <summary>Multi-head scaled dot-product attention with <c>query</c>, <c>key</c> and <c>value</c> projections.</summary>
public sealed class BertSelfAttention : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly Dropout dropout;
    private readonly int _heads;
    private readonly int _headSize;

    /// <summary>Builds the projections.</summary>
    public BertSelfAttention(BertConfig config) : base(nameof(BertSelfAttention))
    {
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        dropout = nn.Dropout(config.AttentionProbsDropoutProb);
        _heads = config.NumAttentionHeads;
        _headSize = config.HiddenSize / config.NumAttentionHeads;
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor hidden, Tensor? additiveMask)
    {
        long batch = hidden.shape[0], length = hidden.shape[1];
        Tensor Heads(Linear projection) => projection.forward(hidden).view(batch, length, _heads, _headSize).transpose(1, 2);
        Tensor q = Heads(query), k = Heads(key), v = Heads(value);
        Tensor scores = q.matmul(k.transpose(-1, -2)) / Math.Sqrt(_headSize);
        if (additiveMask is not null) scores = scores + additiveMask;
        Tensor probabilities = dropout.forward(scores.softmax(-1));
        return probabilities.matmul(v).transpose(1, 2).contiguous().view(batch, length, _heads * _headSize);
    }
}

/// <summary>The feed-forward block's first projection and activation.</summary>
public sealed class BertIntermediate : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly string _activation;

    /// <summary>Builds the block.</summary>
    public BertIntermediate(BertConfig config) : base(nameof(BertIntermediate))
    {
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        _activation = config.HiddenAct;
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor hidden)
    {
        Tensor x = dense.forward(hidden);
        return _activation switch
        {
            "relu" => nn.functional.relu(x),
            // gelu_new and gelu_pytorch_tanh: the tanh approximation.
            "gelu_new" or "gelu_pytorch_tanh" => 0.5 * x * (1 + torch.tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x.pow(3)))),
            _ => nn.functional.gelu(x),
        };
    }
}

/// <summary>
/// A projection back to the hidden width, dropout, then add the block's input and LayerNorm: Hugging Face's
/// <c>BertSelfOutput</c> after attention (from the hidden width) and <c>BertOutput</c> after the feed-forward layer (from
/// the intermediate width), which differ only in that width.
/// </summary>
public sealed class BertOutput : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    /// <summary>Builds the block, projecting from <paramref name="inputSize"/>.</summary>
    public BertOutput(int inputSize, BertConfig config) : base(nameof(BertOutput))
    {
        dense = nn.Linear(inputSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor projected, Tensor input) => LayerNorm.forward(dropout.forward(dense.forward(projected)) + input);
}

/// <summary>The first token's hidden state through a dense layer and tanh (Hugging Face's <c>pooler</c>).</summary>
public sealed class BertPooler : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;

    /// <summary>Builds the pooler.</summary>
    public BertPooler(BertConfig config) : base(nameof(BertPooler))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor hidden) => torch.tanh(dense.forward(hidden.select(1, 0)));
}

/// <summary>Hugging Face's <c>_init_weights</c> for BERT: normal(0, initializer_range) weights, zero biases, LayerNorm at one and zero.</summary>
internal static class BertInitialization
{
    public static void Apply(nn.Module module, BertConfig config)
    {
        using var noGrad = torch.no_grad();
        foreach ((string name, nn.Module child) in module.named_modules())
        {
            switch (child)
            {
                case Embedding words when name.EndsWith("word_embeddings", StringComparison.Ordinal):
                    nn.init.normal_(words.weight, 0, config.InitializerRange);
                    // The padding token's row starts at zero, as padding_idx keeps it.
                    words.weight![config.PadTokenId].zero_();
                    break;
                case Linear linear:
                    nn.init.normal_(linear.weight, 0, config.InitializerRange);
                    if (linear.bias is not null) nn.init.zeros_(linear.bias);
                    break;
                case Embedding embedding:
                    nn.init.normal_(embedding.weight, 0, config.InitializerRange);
                    break;
                case LayerNorm norm:
                    nn.init.ones_(norm.weight);
                    nn.init.zeros_(norm.bias);
                    break;
            }
        }
    }
}
