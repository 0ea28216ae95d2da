using Composer.Algorithms;
using Composer.Surgery;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>Composer's <c>_standardize_weights</c>: (W − mean) / √(var + 1e-10) over all but the first dimension (biased variance).</summary>
    public static Tensor StandardizeWeights(Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        using var scope = NewDisposeScope();
        long[] dims = Enumerable.Range(1, (int)weight.dim() - 1).Select(d => (long)d).ToArray();
        var (variance, mean) = var_mean(weight, dims, unbiased: false, keepdim: true);
        return ((weight - mean) / (variance + 1e-10).sqrt()).MoveToOuterDisposeScope();
    }

    /// <summary>Composer's <c>apply_weight_standardization</c>: all <c>Conv2d</c>s but the last <paramref name="nLastLayersIgnore"/>.</summary>
    /// <returns>How many convolutions were standardized.</returns>
    public static int ApplyWeightStandardization(nn.Module model, int nLastLayersIgnore = 0)
    {
        // The first convolutions in module order, as Composer counts them.
        int target = Math.Max(ModuleSurgery.Count<Conv2d>(model) - nLastLayersIgnore, 0);
        return ModuleSurgery.ReplaceModules(model, (module, index) =>
            module is Conv2d conv && index < target ? new StandardizedConv2d(conv) : null).Count;
    }
}
