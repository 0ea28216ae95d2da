using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Models.Transformer;

/// <summary>
/// One post-norm transformer encoder layer, as BERT's: <c>x = norm1(x + dropout(attention(x)))</c>, then
/// <c>x = norm2(x + dropout(feedForward(x)))</c>. The feed-forward block and the norms are declared as plain
/// modules so that surgery (Gated Linear Units, Low Precision LayerNorm) can replace them.
/// </summary>
public sealed class EncoderLayer : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly SelfAttention attention;
    private readonly nn.Module<Tensor, Tensor> feed_forward, attention_norm, output_norm;
    private readonly Dropout dropout;

    /// <summary>Creates the layer.</summary>
    public EncoderLayer(long dimension, long heads, long hidden, double dropout = 0.1) : base(nameof(EncoderLayer))
    {
        attention = new SelfAttention(dimension, heads, dropout);
        feed_forward = new FeedForward(dimension, hidden, dropout);
        attention_norm = nn.LayerNorm(dimension, eps: 1e-12);
        output_norm = nn.LayerNorm(dimension, eps: 1e-12);
        this.dropout = nn.Dropout(dropout);
        RegisterComponents();
    }

    /// <summary>The self-attention.</summary>
    public SelfAttention Attention => attention;

    /// <summary>The feed-forward block.</summary>
    public nn.Module<Tensor, Tensor> FeedForward => feed_forward;

    /// <inheritdoc/>
    public override Tensor forward(Tensor x, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        Tensor h = attention_norm.call(x + dropout.call(attention.call(x, mask)));
        return output_norm.call(h + dropout.call(feed_forward.call(h))).MoveToOuterDisposeScope();
    }
}
