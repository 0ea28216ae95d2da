using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Models.Transformer;

/// <summary>
/// One pre-norm causal transformer layer, as GPT-2's block: <c>x = x + dropout(attention(norm1(x)))</c>, then
/// <c>x = x + dropout(feedForward(norm2(x)))</c>, with causal <see cref="SelfAttention"/>. The feed-forward block and
/// the norms are plain modules, so surgery (Gated Linear Units, Low Precision LayerNorm) can replace them.
/// </summary>
public sealed class DecoderLayer : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly SelfAttention attention;
    private readonly nn.Module<Tensor, Tensor> feed_forward, attention_norm, output_norm;
    private readonly Dropout dropout;

    /// <summary>Creates the layer.</summary>
    public DecoderLayer(long dimension, long heads, long hidden, double dropout = 0.1) : base(nameof(DecoderLayer))
    {
        attention = new SelfAttention(dimension, heads, dropout, causal: true);
        feed_forward = new FeedForward(dimension, hidden, dropout);
        attention_norm = nn.LayerNorm(dimension, eps: 1e-5);
        output_norm = nn.LayerNorm(dimension, eps: 1e-5);
        this.dropout = nn.Dropout(dropout);
        RegisterComponents();
    }

    /// <summary>The causal self-attention.</summary>
    public SelfAttention Attention => attention;

    /// <inheritdoc/>
    public override Tensor forward(Tensor x, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        Tensor h = x + dropout.call(attention.call(attention_norm.call(x), mask));
        return (h + dropout.call(feed_forward.call(output_norm.call(h)))).MoveToOuterDisposeScope();
    }
}
