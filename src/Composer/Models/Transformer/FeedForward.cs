using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Models.Transformer;

/// <summary>A transformer's position-wise feed-forward block (BERT's intermediate and output dense layers): d → ff → d with GELU.</summary>
public sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    private readonly Linear expand, contract;
    private readonly Dropout dropout;

    /// <summary>Creates the block.</summary>
    public FeedForward(long dimension, long hidden, double dropout = 0.1) : base(nameof(FeedForward))
    {
        expand = nn.Linear(dimension, hidden);
        contract = nn.Linear(hidden, dimension);
        this.dropout = nn.Dropout(dropout);
        Dimension = dimension;
        Hidden = hidden;
        DropoutRate = dropout;
        RegisterComponents();
    }

    /// <summary>The token width.</summary>
    public long Dimension { get; }
    /// <summary>The hidden width.</summary>
    public long Hidden { get; }
    /// <summary>The dropout probability.</summary>
    public double DropoutRate { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return contract.call(dropout.call(nn.functional.gelu(expand.call(x)))).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The gated feed-forward block of Gated Linear Units (Shazeer, 2020, arXiv:2002.05202), Composer's
/// <c>BERTGatedFFOutput</c> without its residual and norm (the encoder layer adds those):
/// <c>wo(dropout(act(gated(x)) * nonGated(x)))</c>, with bias-free gated and non-gated layers by default.
/// </summary>
public sealed class GatedFeedForward : nn.Module<Tensor, Tensor>
{
    private readonly Linear gated, non_gated, wo;
    private readonly Dropout dropout;
    private readonly Func<Tensor, Tensor> _activation;

    /// <summary>Creates the block; <paramref name="activation"/> is GELU unless given.</summary>
    public GatedFeedForward(long dimension, long hidden, double dropout = 0.1, Func<Tensor, Tensor>? activation = null,
        bool gatedLayerBias = false, bool nonGatedLayerBias = false) : base(nameof(GatedFeedForward))
    {
        gated = nn.Linear(dimension, hidden, hasBias: gatedLayerBias);
        non_gated = nn.Linear(dimension, hidden, hasBias: nonGatedLayerBias);
        wo = nn.Linear(hidden, dimension);
        this.dropout = nn.Dropout(dropout);
        _activation = activation ?? (t => nn.functional.gelu(t));
        RegisterComponents();
    }

    /// <summary>The gated layer (its output goes through the activation).</summary>
    public Linear Gated => gated;
    /// <summary>The non-gated layer.</summary>
    public Linear NonGated => non_gated;
    /// <summary>The output layer.</summary>
    public Linear Output => wo;

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor hidden = _activation(gated.call(x)) * non_gated.call(x);
        return wo.call(dropout.call(hidden)).MoveToOuterDisposeScope();
    }
}
