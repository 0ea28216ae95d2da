using Composer.Data;
using Composer.Loss;
using Composer.Metrics;
using Composer.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Models;

/// <summary>
/// A Hugging Face sequence classifier as a <see cref="ComposerModel"/>, as Composer's <c>HuggingFaceModel</c>: it takes
/// dict batches with <c>input_ids</c>, <c>attention_mask</c> and <c>token_type_ids</c> (the last two optional) and the
/// labels under the batch's targets key (<c>labels</c> from <see cref="PaddingCollator"/>), so every algorithm and callback
/// works with it. The loss is cross entropy (soft, so label smoothing and mixed targets work).
/// </summary>
public sealed class HuggingFaceModel : ComposerModel
{
    private readonly BertForSequenceClassification _model;
    private readonly MetricSet _metrics;

    /// <summary>Wraps <paramref name="model"/>.</summary>
    /// <param name="model">The classifier.</param>
    /// <param name="metrics">The metrics to track (copied for training and each evaluator); <see cref="Accuracy"/> unless given.</param>
    public HuggingFaceModel(BertForSequenceClassification model, IReadOnlyList<Metric>? metrics = null) : base(nameof(HuggingFaceModel))
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _metrics = new MetricSet(metrics);
        register_module("model", model);
    }

    /// <summary>The wrapped model.</summary>
    public BertForSequenceClassification Model => _model;

    /// <inheritdoc/>
    public override Tensor Forward(Batch batch)
    {
        Tensor ids = batch.Require(Batch.InputIds, nameof(HuggingFaceModel));
        Tensor? mask = batch.TryGetValue(Batch.AttentionMask, out Tensor? m) ? m : null;
        Tensor? types = batch.TryGetValue(BertTokenizer.TokenTypeIds, out Tensor? t) ? t : null;
        return _model.Forward(ids, mask, types);
    }

    /// <inheritdoc/>
    public override Tensor Loss(Tensor outputs, Batch batch) => LossFunctions.SoftCrossEntropy(outputs, batch.Targets);

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, Metric> CreateMetrics(bool isTrain) => _metrics.Create();
}
