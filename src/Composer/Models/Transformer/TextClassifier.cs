using Composer.Data;
using Composer.Loss;
using Composer.Metrics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Models.Transformer;

/// <summary>
/// A small BERT-style encoder that classifies token sequences, as a <see cref="ComposerModel"/> over text batches
/// (Composer's <c>HuggingFaceModel</c> for sequence classification): token and learned position embeddings, a stack of
/// <see cref="EncoderLayer"/>s, the mean of the real tokens' states (the attention mask leaves padding out), and a
/// linear head. Reads <see cref="Batch.InputIds"/>, <see cref="Batch.AttentionMask"/> when present, and the batch's
/// targets as class indices.
/// </summary>
public sealed class TextClassifier : ComposerModel
{
    private readonly Embedding tokens;
    private readonly nn.Module<Tensor, Tensor> positions, embedding_norm;
    private readonly Dropout dropout;
    private readonly ModuleList<EncoderLayer> layers;
    private readonly Linear head;
    private readonly VocabularyCheck _vocabulary;

    /// <summary>Creates the model.</summary>
    /// <param name="vocabularySize">Token ids are below this.</param>
    /// <param name="numClasses">The number of classes.</param>
    /// <param name="maxSequenceLength">The longest sequence the position embeddings cover.</param>
    /// <param name="dimension">The token width.</param>
    /// <param name="heads">Attention heads per layer.</param>
    /// <param name="layers">Encoder layers.</param>
    /// <param name="hidden">The feed-forward width; 4 × <paramref name="dimension"/> unless given.</param>
    /// <param name="dropout">The dropout probability.</param>
    /// <param name="metrics">The metrics to track (copied for training and each evaluator); <see cref="Accuracy"/> unless given.</param>
    public TextClassifier(long vocabularySize, int numClasses, long maxSequenceLength = 128, long dimension = 64,
        long heads = 4, int layers = 2, long? hidden = null, double dropout = 0.1, IReadOnlyList<Metric>? metrics = null) : base(nameof(TextClassifier))
    {
        if (numClasses < 2) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "A classifier needs at least two classes.");
        _metrics = new MetricSet(metrics);
        tokens = nn.Embedding(vocabularySize, dimension);
        _vocabulary = new VocabularyCheck(vocabularySize, Batch.InputIds);
        positions = new PositionEmbedding(maxSequenceLength, dimension);
        embedding_norm = nn.LayerNorm(dimension, eps: 1e-12);
        this.dropout = nn.Dropout(dropout);
        this.layers = nn.ModuleList(Enumerable.Range(0, layers).Select(_ => new EncoderLayer(dimension, heads, hidden ?? 4 * dimension, dropout)).ToArray());
        head = nn.Linear(dimension, numClasses);
        NumClasses = numClasses;
        RegisterComponents();
    }

    /// <summary>The number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>The encoder layers.</summary>
    public IReadOnlyList<EncoderLayer> Layers => [.. layers];

    /// <inheritdoc/>
    public override Tensor Forward(Batch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var scope = NewDisposeScope();
        Tensor ids = batch.Require(Batch.InputIds, nameof(TextClassifier));
        Tensor? mask = batch.TryGetValue(Batch.AttentionMask, out Tensor? m) ? m : null;
        _vocabulary.Check(ids);
        Tensor x = dropout.call(embedding_norm.call(tokens.call(ids) + positions.call(ids)));
        foreach (EncoderLayer layer in layers)
            x = layer.call(x, mask);
        // The mean over real tokens: padding neither adds to the sum nor to the count.
        Tensor weights = mask is null ? ones(ids.shape[0], ids.shape[1], 1, dtype: x.dtype, device: x.device) : mask.to_type(x.dtype).unsqueeze(-1);
        Tensor pooled = (x * weights).sum(1) / weights.sum(1).clamp_min(1);
        return head.call(pooled).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override Tensor Loss(Tensor outputs, Batch batch) => LossFunctions.SoftCrossEntropy(outputs, batch.Targets);

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, Metric> CreateMetrics(bool isTrain) => _metrics.Create();

    private readonly MetricSet _metrics;
}

/// <summary>Learned position embeddings: for token ids [N, T], the embeddings of positions 0 to T − 1, [T, D] (broadcast over the batch).</summary>
public sealed class PositionEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly Embedding positions;

    /// <summary>Creates embeddings for <paramref name="maxSequenceLength"/> positions.</summary>
    public PositionEmbedding(long maxSequenceLength, long dimension) : base(nameof(PositionEmbedding))
    {
        positions = nn.Embedding(maxSequenceLength, dimension);
        MaxSequenceLength = maxSequenceLength;
        Dimension = dimension;
        RegisterComponents();
    }

    /// <summary>The number of positions.</summary>
    public long MaxSequenceLength { get; }

    /// <summary>The embedding width.</summary>
    public long Dimension { get; }

    /// <summary>The embedding table, [positions, D].</summary>
    public Parameter Weight => positions.weight!;

    /// <inheritdoc/>
    public override Tensor forward(Tensor ids)
    {
        long t = ids.shape[1];
        if (t > MaxSequenceLength)
            throw new InvalidOperationException($"The sequence of {t} tokens is longer than the {MaxSequenceLength} positions the model embeds; truncate the text or raise maxSequenceLength.");
        return Weight.narrow(0, 0, t);
    }
}
