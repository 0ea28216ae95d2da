using System.Reflection;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Checkpoints;

/// <summary>
/// TorchSharp writes and reads a tensor's bytes only when it is contiguous (<c>Tensor.Save</c> and <c>Load</c> throw
/// "Bytes() called on non-contiguous tensor"), while <see cref="Algorithms.ChannelsLast"/> leaves four-dimensional
/// weights, and optimizer state made from them, channels-last. For the length of a save or a load, each such tensor holds
/// a contiguous copy of itself (in place, as PyTorch's <c>param.data = ...</c>), and gets its own strides back after,
/// with whatever values it then holds. Checkpoints are therefore in the logical order whatever the layout.
/// </summary>
internal sealed class ContiguousScope : IDisposable
{
    private readonly List<(Tensor Tensor, long[] Strides)> _restrided = [];

    private ContiguousScope(IEnumerable<Tensor> tensors)
    {
        using var noGrad = no_grad();
        foreach (Tensor tensor in tensors)
        {
            if (tensor.is_contiguous() || !IsDense(tensor.shape, tensor.stride())) continue;
            long[] strides = tensor.stride();
            using (Tensor contiguous = tensor.contiguous()) tensor.set_(contiguous);
            _restrided.Add((tensor, strides));
        }
    }

    /// <summary>The parameters and buffers of <paramref name="model"/> and the state tensors of <paramref name="optimizer"/>.</summary>
    public static ContiguousScope Of(nn.Module? model, optim.Optimizer? optimizer = null)
    {
        IEnumerable<Tensor> tensors = model is null ? [] : model.parameters().Concat(model.buffers());
        if (optimizer is OptimizerHelper helper) tensors = tensors.Concat(StateTensors(helper));
        return new ContiguousScope(tensors);
    }

    /// <summary>Gives each tensor its strides back.</summary>
    public void Dispose()
    {
        using var noGrad = no_grad();
        foreach ((Tensor tensor, long[] strides) in _restrided)
        {
            using Tensor storage = empty(tensor.numel(), dtype: tensor.dtype, device: tensor.device);
            using Tensor restrided = storage.as_strided(tensor.shape, strides);
            restrided.copy_(tensor);
            tensor.set_(restrided);
        }
        _restrided.Clear();
    }

    // TorchSharp's optimizer states (Adam's exp_avg, SGD's momentum_buffer, ...) keep their tensors in public fields.
    private static IEnumerable<Tensor> StateTensors(OptimizerHelper optimizer)
    {
        foreach (object state in optimizer.state_dict().State)
        {
            foreach (FieldInfo field in state.GetType().GetFields(BindingFlags.Public | BindingFlags.Instance))
                if (typeof(Tensor).IsAssignableFrom(field.FieldType) && field.GetValue(state) is Tensor tensor)
                    yield return tensor;
        }
    }

    // Strides that cover the storage once with no gaps (a permutation of a contiguous layout, as channels-last is): only
    // those can be copied out and back. Dimensions of size 1 place nothing.
    private static bool IsDense(long[] shape, long[] strides)
    {
        long expected = 1;
        foreach (int d in Enumerable.Range(0, shape.Length).Where(d => shape[d] != 1).OrderBy(d => strides[d]))
        {
            if (strides[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }
}
