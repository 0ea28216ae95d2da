using Composer.Algorithms;
using Composer.Core;
using Composer.Surgery;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// Composer's <c>apply_low_precision_groupnorm</c>: every <c>GroupNorm</c> becomes a
    /// <see cref="LowPrecisionGroupNorm2d"/>. Under <see cref="Precision.Fp32"/> nothing is replaced and standard error
    /// says so, as Composer warns.
    /// </summary>
    /// <returns>How many group norms were replaced.</returns>
    public static int ApplyLowPrecisionGroupNorm(nn.Module model, Precision precision)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (precision == Precision.Fp32)
        {
            Console.Error.WriteLine("LowPrecisionGroupNorm has no effect in fp32: it applies to AmpBf16 and AmpFp16 only.");
            return 0;
        }
        return ModuleSurgery.ReplaceModules(model, (module, _) =>
            module is GroupNorm g ? new LowPrecisionGroupNorm2d(g, LowPrecisionGroupNorm.GroupNormGroups(g), LowPrecisionGroupNorm.GroupNormEps(g)) : null).Count;
    }
}
