using Composer.Data;
using Composer.Metrics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Models.Transformer;

/// <summary>
/// A small GPT, a causal language model as a <see cref="ComposerModel"/> (GPT-2's layout): token and learned position
/// embeddings, <see cref="DecoderLayer"/>s with causal attention, a final norm, and logits through the token embedding
/// (tied weights), initialised as GPT-2's. It learns to predict each token of <see cref="Batch.InputIds"/> from the ones before it; padding
/// (<see cref="Batch.AttentionMask"/> 0) is neither attended to nor predicted. <see cref="Generate"/> continues
/// prompts, greedily or by sampling, for the <see cref="Callbacks.Generate"/> callback.
/// </summary>
/// <remarks>
/// Outputs are [N, T, V] logits; the loss and the metrics (<see cref="LanguageCrossEntropy"/> and
/// <see cref="LanguagePerplexity"/> by default) compare position t's logits with token t + 1. Positions count real
/// tokens only (<c>cumsum(mask) − 1</c>), so a left-padded prompt is embedded as it would be alone. As an
/// <see cref="IFlopsPerBatch"/> it estimates 6 × parameters × tokens per training batch (Kaplan et al.'s rule), which
/// <see cref="Callbacks.SpeedMonitor"/> turns into FLOPs per second and MFU. ALiBi (<see cref="Algorithms.Alibi"/>)
/// applies to it: its bias and the causal mask give Composer's causal ALiBi.
/// </remarks>
public sealed class GptModel : ComposerModel, IFlopsPerBatch
{
    private readonly Embedding tokens;
    private readonly PositionEmbedding positions;
    private readonly Dropout dropout;
    private readonly ModuleList<DecoderLayer> layers;
    private readonly nn.Module<Tensor, Tensor> final_norm;
    private readonly VocabularyCheck _vocabulary;
    private readonly MetricSet _metrics;
    private long? _parameterCount;

    /// <summary>Creates the model.</summary>
    /// <param name="vocabularySize">Token ids are below this.</param>
    /// <param name="maxSequenceLength">The longest sequence the position embeddings cover.</param>
    /// <param name="dimension">The token width.</param>
    /// <param name="heads">Attention heads per layer.</param>
    /// <param name="layers">Decoder layers.</param>
    /// <param name="dropout">The dropout probability.</param>
    /// <param name="metrics">The metrics; language cross entropy and perplexity unless given.</param>
    public GptModel(long vocabularySize, long maxSequenceLength = 128, long dimension = 64, long heads = 4, int layers = 2,
        double dropout = 0.1, IReadOnlyList<Metric>? metrics = null) : base(nameof(GptModel))
    {
        tokens = nn.Embedding(vocabularySize, dimension);
        positions = new PositionEmbedding(maxSequenceLength, dimension);
        this.dropout = nn.Dropout(dropout);
        this.layers = nn.ModuleList(Enumerable.Range(0, layers).Select(_ => new DecoderLayer(dimension, heads, 4 * dimension, dropout)).ToArray());
        final_norm = nn.LayerNorm(dimension, eps: 1e-5);
        _vocabulary = new VocabularyCheck(vocabularySize, Batch.InputIds);
        _metrics = new MetricSet(metrics ?? [new LanguageCrossEntropy(), new LanguagePerplexity()]);
        VocabularySize = vocabularySize;
        MaxSequenceLength = maxSequenceLength;
        RegisterComponents();
        // GPT-2's initialisation of the embeddings, N(0, 0.02): the tied output starts near uniform (torch's N(0, 1)
        // would start with logits of size √dimension, far worse than guessing).
        using (no_grad())
        {
            nn.init.normal_(tokens.weight!, 0, 0.02);
            nn.init.normal_(positions.Weight, 0, 0.02);
        }
    }

    /// <summary>Token ids are below this.</summary>
    public long VocabularySize { get; }

    /// <summary>The longest sequence the model embeds.</summary>
    public long MaxSequenceLength { get; }

    /// <summary>The decoder layers.</summary>
    public IReadOnlyList<DecoderLayer> Layers => [.. layers];

    /// <inheritdoc/>
    public override Tensor Forward(Batch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Tensor ids = batch.Require(Batch.InputIds, nameof(GptModel));
        return Logits(ids, batch.TryGetValue(Batch.AttentionMask, out Tensor? mask) ? mask : null);
    }

    /// <summary>The next-token logits [N, T, V] of <paramref name="ids"/> [N, T], with its attention mask (1 real, 0 padding).</summary>
    public Tensor Logits(Tensor ids, Tensor? mask)
    {
        ArgumentNullException.ThrowIfNull(ids);
        using var scope = NewDisposeScope();
        _vocabulary.Check(ids);
        long t = ids.shape[1];
        if (t > MaxSequenceLength)
            throw new InvalidOperationException($"The sequence of {t} tokens is longer than the {MaxSequenceLength} positions the model embeds; truncate it or raise maxSequenceLength.");
        // Position t of a left-padded row is the count of real tokens before it.
        Tensor place = mask is null
            ? arange(t, device: ids.device).unsqueeze(0).expand(ids.shape[0], t)
            : (mask.to_type(ScalarType.Int64).cumsum(1) - 1).clamp_min(0);
        Tensor x = dropout.call(tokens.call(ids) + positions.Weight.index_select(0, place.flatten()).view(ids.shape[0], t, -1));
        foreach (DecoderLayer layer in layers)
            x = layer.call(x, mask);
        return matmul(final_norm.call(x), tokens.weight!.t()).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    /// <remarks>The cross entropy of each position's logits against the next token, over the tokens that are not padding.</remarks>
    public override Tensor Loss(Tensor outputs, Batch batch) =>
        nn.functional.cross_entropy(outputs.narrow(1, 0, outputs.shape[1] - 1).flatten(0, 1), NextTokens(batch).flatten(), ignore_index: -100);

    /// <inheritdoc/>
    public override void UpdateMetric(Batch batch, Tensor outputs, Metric metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        using var scope = NewDisposeScope();
        metric.Update(outputs.narrow(1, 0, outputs.shape[1] - 1), NextTokens(batch));
    }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, Metric> CreateMetrics(bool isTrain) => _metrics.Create();

    /// <inheritdoc/>
    public double FlopsPerBatch(Batch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        // Counted at the first batch, after any surgery at Init has changed the layers.
        _parameterCount ??= this.parameters().Sum(p => p.numel());
        return 6.0 * _parameterCount.Value * batch.Require(Batch.InputIds, nameof(GptModel)).numel();
    }

    /// <summary>
    /// Continues each prompt of <paramref name="ids"/> [N, T] (left-padded, <paramref name="mask"/> 0 on padding) by up to
    /// <paramref name="maxNewTokens"/> tokens: the most likely token each step, or with <paramref name="doSample"/> one drawn
    /// from the softmax at <paramref name="temperature"/>, kept to the <paramref name="topK"/> most likely and the
    /// smallest set whose probability reaches <paramref name="topP"/>. A row that produces <paramref name="eosTokenId"/>
    /// is continued with it. Returns [N, T + new] ids, the prompts first; runs without gradients in evaluation mode and
    /// restores the mode.
    /// </summary>
    public Tensor Generate(Tensor ids, Tensor? mask = null, int maxNewTokens = 20, bool doSample = false, double temperature = 1.0,
        int? topK = null, double? topP = null, long? eosTokenId = null, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (maxNewTokens < 0) throw new ArgumentOutOfRangeException(nameof(maxNewTokens), maxNewTokens, "Generate zero or more tokens.");
        if (doSample && temperature <= 0) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "Sampling needs a positive temperature.");
        bool training = this.training;
        eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            Tensor sequence = ids;
            Tensor attention = mask ?? ones_like(ids);
            Tensor finished = zeros(ids.shape[0], dtype: ScalarType.Bool, device: ids.device);
            for (int step = 0; step < maxNewTokens; step++)
            {
                // The window the position embeddings cover: the newest MaxSequenceLength tokens.
                long t = sequence.shape[1], start = Math.Max(0, t - MaxSequenceLength);
                using var stepScope = NewDisposeScope();
                Tensor logits = Logits(sequence.narrow(1, start, t - start), attention.narrow(1, start, t - start)).select(1, -1);
                Tensor next = doSample ? Sample(logits, temperature, topK, topP, generator) : logits.argmax(-1);
                if (eosTokenId is { } eos)
                {
                    next = where(finished, eos, next);
                    finished = finished.logical_or(next.eq(eos));
                }
                sequence = cat([sequence, next.unsqueeze(1)], 1).MoveToOuterDisposeScope();
                attention = cat([attention, ones_like(next).unsqueeze(1).to_type(attention.dtype)], 1).MoveToOuterDisposeScope();
                finished = finished.MoveToOuterDisposeScope();
                if (eosTokenId is not null && finished.all().item<bool>()) break;
            }
            return sequence.MoveToOuterDisposeScope();
        }
        finally
        {
            train(training);
        }
    }

    private static Tensor Sample(Tensor logits, double temperature, int? topK, double? topP, Generator? generator)
    {
        Tensor scores = logits / temperature;
        if (topK is { } k && k < scores.shape[^1])
        {
            Tensor kth = scores.topk(k, -1).values.narrow(-1, k - 1, 1);
            scores = scores.masked_fill(scores < kth, double.NegativeInfinity);
        }
        if (topP is { } p && p < 1)
        {
            (Tensor sorted, Tensor order) = scores.sort(-1, descending: true);
            Tensor probabilities = sorted.softmax(-1);
            // Keep the smallest set whose probability reaches p: drop a token once the ones before it reach p.
            Tensor drop = (probabilities.cumsum(-1) - probabilities) >= p;
            scores = scores.scatter(-1, order, sorted.masked_fill(drop, double.NegativeInfinity));
        }
        return scores.softmax(-1).multinomial(1, generator: generator).squeeze(-1);
    }

    // Token t + 1 for each position t; padding and the positions after the last real token are ignored (-100).
    private static Tensor NextTokens(Batch batch)
    {
        Tensor ids = batch.TryGetValue(Batch.Labels, out Tensor? labels) && labels.dim() == 2 ? labels : batch.Require(Batch.InputIds, nameof(GptModel));
        Tensor next = ids.narrow(1, 1, ids.shape[1] - 1);
        if (!batch.TryGetValue(Batch.AttentionMask, out Tensor? mask)) return next;
        return next.masked_fill(mask.narrow(1, 1, mask.shape[1] - 1).eq(0), -100);
    }
}
