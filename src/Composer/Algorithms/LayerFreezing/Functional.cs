using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>The share of layers frozen at <paramref name="elapsed"/>: 0 until <paramref name="freezeStart"/>, then linear up to <paramref name="freezeLevel"/> at the end.</summary>
    public static double FreezeShare(double elapsed, double freezeStart = 0.5, double freezeLevel = 1.0) =>
        elapsed <= freezeStart ? 0 : Math.Min(1, (elapsed - freezeStart) / (1 - freezeStart)) * freezeLevel;

    /// <summary>
    /// Layer freezing (Raghu et al., 2017, SVCCA, arXiv:1706.05806; Brock et al., 2017, FreezeOut, arXiv:1706.04983),
    /// as Composer's <c>freeze_layers</c>: freezes the first ⌊share × layers⌋ leaf modules, in order, by turning off
    /// their parameters' gradients and removing them from the optimizer (so momentum cannot move them either).
    /// </summary>
    /// <returns>How many leaf modules are frozen, and the share asked for.</returns>
    public static (int FrozenLayers, double Share) FreezeLayers(nn.Module model, optim.Optimizer optimizer, double elapsed,
        double freezeStart = 0.5, double freezeLevel = 1.0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        List<nn.Module> layers = LeafModules(model);
        double share = FreezeShare(elapsed, freezeStart, freezeLevel);
        int depth = (int)(share * layers.Count);
        FreezeFirst(layers, optimizer, depth);
        return (depth, share);
    }

    internal static void FreezeFirst(List<nn.Module> layers, optim.Optimizer optimizer, int depth)
    {
        var frozen = new HashSet<IntPtr>();
        foreach (nn.Module layer in layers.Take(depth))
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

    /// <summary>The modules without children, in registration order (Composer's <c>_get_layers</c>).</summary>
    public static List<nn.Module> LeafModules(nn.Module model)
    {
        var leaves = new List<nn.Module>();
        void Visit(nn.Module module)
        {
            var children = module.children().ToList();
            if (children.Count == 0) leaves.Add(module);
            foreach (nn.Module child in children) Visit(child);
        }
        foreach (nn.Module child in model.children()) Visit(child);
        return leaves;
    }
}
