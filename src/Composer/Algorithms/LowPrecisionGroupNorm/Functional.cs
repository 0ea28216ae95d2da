using Composer.Algorithms;
using Composer.Surgery;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>Composer's <c>apply_low_precision_groupnorm</c>: every <c>GroupNorm</c> computes in <paramref name="precision"/>.</summary>
    /// <returns>How many group norms were replaced.</returns>
    public static int ApplyLowPrecisionGroupNorm(nn.Module model, ScalarType precision = ScalarType.BFloat16) =>
        ModuleSurgery.ReplaceModules(model, (module, _) =>
            module is GroupNorm g ? new LowPrecisionGroupNorm2d(g, LowPrecisionGroupNorm.GroupNormGroups(g), LowPrecisionGroupNorm.GroupNormEps(g), precision) : null).Count;
}
