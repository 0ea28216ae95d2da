using Composer.Data;
using Composer.Models.Transformer;
using Composer.Surgery;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// ALiBi's per-head slopes (Press et al., 2022, "Train Short, Test Long", arXiv:2108.12409), as Composer's
    /// <c>_get_alibi_head_slopes</c>: for a power of two n, the geometric sequence starting at and with ratio
    /// 2^(−8/n); otherwise the slopes of the nearest lower power of two followed by every other slope of twice that.
    /// </summary>
    public static double[] AlibiSlopes(int heads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(heads, 1);
        static double[] PowerOfTwo(int n)
        {
            double start = Math.Pow(2, -Math.Pow(2, -(Math.Log2(n) - 3)));
            return Enumerable.Range(0, n).Select(i => start * Math.Pow(start, i)).ToArray();
        }
        if (Math.Log2(heads) % 1 == 0) return PowerOfTwo(heads);
        int closest = 1 << (int)Math.Floor(Math.Log2(heads));
        return [.. PowerOfTwo(closest), .. AlibiSlopes(2 * closest).Where((_, i) => i % 2 == 0).Take(heads - closest)];
    }

    /// <summary>
    /// ALiBi's attention bias, Composer's <c>register_alibi</c>: −slope_h·|j − i| for bidirectional attention,
    /// [1, heads, L, L]; slope_h·j for causal attention, [heads, 1, L] (the softmax ignores a per-row constant).
    /// </summary>
    public static Tensor AlibiBias(int heads, long maxSequenceLength, bool causal = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequenceLength, 1);
        using var scope = NewDisposeScope();
        Tensor slopes = tensor(AlibiSlopes(heads), float32);
        Tensor positions = arange(maxSequenceLength, dtype: float32);
        if (causal)
            return (slopes.view(heads, 1, 1) * positions.view(1, 1, -1)).MoveToOuterDisposeScope();
        Tensor distance = (positions.view(1, -1) - positions.view(-1, 1)).abs();
        return (slopes.view(1, heads, 1, 1) * -distance.view(1, 1, maxSequenceLength, maxSequenceLength)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Applies ALiBi to a model of <see cref="SelfAttention"/> layers, Composer's <c>apply_alibi</c>: every attention
    /// gets the bias of <see cref="AlibiBias"/> for <paramref name="maxSequenceLength"/> tokens, and the learned position
    /// embeddings are replaced by zeros that do not train, extended to <paramref name="maxSequenceLength"/>
    /// (<c>zero_and_freeze_expand_position_embeddings</c>). Returns the number of attention layers changed.
    /// </summary>
    public static int ApplyAlibi(nn.Module model, long maxSequenceLength, optim.Optimizer? optimizer = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        int changed = 0;
        foreach (SelfAttention attention in model.modules().OfType<SelfAttention>().Distinct())
        {
            attention.SetAttentionBias(AlibiBias((int)attention.Heads, maxSequenceLength).to(ParameterDevice(attention)));
            changed++;
        }
        ModuleSurgery.ReplaceModules(model, (module, _) =>
        {
            if (module is not PositionEmbedding old) return null;
            var zeroed = new PositionEmbedding(maxSequenceLength, old.Dimension);
            using (no_grad()) zeroed.Weight.zero_();
            zeroed.Weight.requires_grad = false;
            return zeroed.to(old.Weight.device);
        }, optimizer);
        return changed;
    }

    /// <summary>
    /// Alibi's training-time reshape, Composer's <c>train_sequence_length_scaling</c>: every [N, T] tensor becomes
    /// [N / s, T·s], so training sees shorter sequences (and more of them) than evaluation.
    /// </summary>
    /// <exception cref="InvalidOperationException">A tensor is not [N, T] or does not divide evenly.</exception>
    public static Batch ScaleSequenceLength(Batch batch, double scaling)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (scaling == 1) return batch;
        return batch.Map((key, v) =>
        {
            if (v.dim() != 2)
                throw new InvalidOperationException(
                    $"ALiBi's trainSequenceLengthScaling reshapes every tensor of the batch as [N, T], but '{key}' is [{string.Join(", ", v.shape)}]; " +
                    "use trainSequenceLengthScaling: 1 for batches with one label per sample.");
            long n = v.shape[0], t = v.shape[1];
            double rows = n / scaling, length = t * scaling;
            if (rows % 1 != 0 || length % 1 != 0)
                throw new InvalidOperationException($"ALiBi cannot reshape '{key}' [{n}, {t}] by {scaling}: [{rows}, {length}] is not whole.");
            return v.reshape((long)rows, (long)length);
        });
    }

    private static Device ParameterDevice(nn.Module module) =>
        module.parameters().FirstOrDefault()?.device ?? CPU;
}
