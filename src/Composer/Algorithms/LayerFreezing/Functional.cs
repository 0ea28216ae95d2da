using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// The share of layers frozen at <paramref name="elapsed"/>: 0 until <paramref name="freezeStart"/>, then linear up to
    /// <paramref name="freezeLevel"/> at the end (Composer's <c>_freeze_schedule</c>).
    /// </summary>
    public static double FreezeShare(double elapsed, double freezeStart = 0.5, double freezeLevel = 1.0) =>
        elapsed <= freezeStart ? 0 : freezeLevel * ((elapsed - freezeStart) / (1 - freezeStart));

    /// <summary>
    /// Layer freezing (Raghu et al., 2017, SVCCA, arXiv:1706.05806; Brock et al., 2017, FreezeOut, arXiv:1706.04983),
    /// as Composer's <c>freeze_layers</c>: of the model's layers (<see cref="Layers"/>), all but the last can be frozen;
    /// the first ⌊share × (layers − 1)⌋ are, by turning off their parameters' gradients and removing them from the
    /// optimizer (so momentum cannot move them either). The last layer always trains, so the optimizer never empties.
    /// </summary>
    /// <returns>How many layers are frozen, and the share asked for.</returns>
    public static (int FrozenLayers, double Share) FreezeLayers(nn.Module model, optim.Optimizer optimizer, double elapsed,
        double freezeStart = 0.5, double freezeLevel = 1.0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        List<nn.Module> layers = Layers(model);
        double share = FreezeShare(elapsed, freezeStart, freezeLevel);
        int depth = (int)(share * Math.Max(0, layers.Count - 1));
        FreezeFirst(layers, optimizer, depth);
        return (depth, share);
    }

    internal static void FreezeFirst(List<nn.Module> layers, optim.Optimizer optimizer, int depth)
    {
        var frozen = new HashSet<IntPtr>();
        foreach (nn.Module layer in layers.Take(Math.Min(depth, layers.Count - 1)))
            foreach (var parameter in layer.parameters())
            {
                parameter.requires_grad = false;
                // By data address, which does not depend on which wrapper of the parameter a list holds.
                frozen.Add(Utils.TensorIdentity.Of(parameter));
            }
        if (frozen.Count == 0) return;
        foreach (ParamGroup group in optimizer.ParamGroups.OfType<ParamGroup>())
            group.Parameters = group.Parameters.Where(p => !frozen.Contains(Utils.TensorIdentity.Of(p))).ToArray();
    }

    /// <summary>
    /// The model's layers as Composer's <c>_get_layers</c> finds them: depth first, in registration order, the modules
    /// that have parameters and no children (a ReLU or a pooling layer is not one); the model itself when it is such a module.
    /// </summary>
    public static List<nn.Module> Layers(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var layers = new List<nn.Module>();
        void Visit(nn.Module module)
        {
            var children = module.children().ToList();
            if (children.Count == 0 && module.parameters().Any()) layers.Add(module);
            else foreach (nn.Module child in children) Visit(child);
        }
        Visit(model);
        return layers;
    }
}
