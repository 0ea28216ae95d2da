using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Models.Transformer;

/// <summary>
/// Multi-head self-attention (BERT's <c>BertSelfAttention</c> with its output projection): bidirectional, or causal
/// (GPT's: a token attends to itself and the tokens before it); padding keys are masked out, and an additive attention
/// bias, such as ALiBi's (<see cref="Functional.AlibiBias"/>), can be set.
/// </summary>
public sealed class SelfAttention : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly Linear query, key, value, output;
    private readonly double _dropout;
    private Tensor? attention_bias;

    /// <summary>Creates the layer for <paramref name="dimension"/>-wide tokens split over <paramref name="heads"/> heads.</summary>
    /// <param name="dimension">The token width.</param>
    /// <param name="heads">The number of heads.</param>
    /// <param name="dropout">Dropout on the attention weights while training.</param>
    /// <param name="causal">Each token attends only to itself and the tokens before it.</param>
    public SelfAttention(long dimension, long heads, double dropout = 0.1, bool causal = false) : base(nameof(SelfAttention))
    {
        Causal = causal;
        if (heads < 1 || dimension % heads != 0)
            throw new ArgumentException($"The width {dimension} must split evenly over {heads} heads.", nameof(heads));
        Heads = heads;
        query = nn.Linear(dimension, dimension);
        key = nn.Linear(dimension, dimension);
        value = nn.Linear(dimension, dimension);
        output = nn.Linear(dimension, dimension);
        _dropout = dropout;
        RegisterComponents();
    }

    /// <summary>The number of heads.</summary>
    public long Heads { get; }

    /// <summary>True when a token attends only to itself and the tokens before it.</summary>
    public bool Causal { get; }

    /// <summary>The additive bias on the attention scores, [1, heads, L, L] cropped to the sequence; null for none.</summary>
    public Tensor? AttentionBias => attention_bias;

    /// <summary>Adds <paramref name="bias"/> ([1, heads, L, L], L at least the longest sequence) to every attention score (a buffer, saved with the model).</summary>
    public void SetAttentionBias(Tensor bias)
    {
        ArgumentNullException.ThrowIfNull(bias);
        if (bias.dim() != 4 || bias.shape[1] != Heads)
            throw new ArgumentException($"The attention bias must be [1, {Heads}, L, L]; got [{string.Join(", ", bias.shape)}].", nameof(bias));
        attention_bias?.Dispose();
        attention_bias = bias.DetachFromDisposeScope();
        register_buffer(nameof(attention_bias), attention_bias);
    }

    /// <summary>Attends over <paramref name="x"/> [N, T, D]; <paramref name="mask"/> [N, T] is 1 for real tokens, 0 for padding.</summary>
    public override Tensor forward(Tensor x, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0], t = x.shape[1], d = x.shape[2];
        Tensor Split(Linear projection) => projection.call(x).view(n, t, Heads, d / Heads).transpose(1, 2);
        Tensor? bias = null;
        if (mask is not null)
            bias = (1 - mask.to_type(x.dtype)).mul(-1e9).view(n, 1, 1, t);
        if (attention_bias is not null)
        {
            if (t > attention_bias.shape[2])
                throw new InvalidOperationException($"The sequence of {t} tokens is longer than the attention bias ({attention_bias.shape[2]}); apply ALiBi with a larger maxSequenceLength.");
            Tensor positional = attention_bias.narrow(2, 0, t).narrow(3, 0, t).to_type(x.dtype);
            bias = bias is null ? positional : bias + positional;
        }
        if (Causal)
        {
            Tensor future = ones(t, t, dtype: ScalarType.Bool, device: x.device).triu(1);
            Tensor causal = zeros(t, t, dtype: x.dtype, device: x.device).masked_fill(future, -1e9).view(1, 1, t, t);
            bias = bias is null ? causal : bias + causal;
        }
        Tensor attended = nn.functional.scaled_dot_product_attention(
            Split(query), Split(key), Split(value), bias, training ? _dropout : 0, false);
        return output.call(attended.transpose(1, 2).reshape(n, t, d)).MoveToOuterDisposeScope();
    }
}
