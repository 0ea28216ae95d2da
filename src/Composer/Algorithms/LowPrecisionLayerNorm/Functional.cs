using Composer.Algorithms;
using Composer.Core;
using Composer.Surgery;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// Replaces every <c>LayerNorm</c> with a <see cref="LowPrecisionLayerNormModule"/> (Composer's
    /// <c>apply_low_precision_layernorm</c>); the parameters are kept, so the optimizer needs no update. Under
    /// <see cref="Precision.Fp32"/> nothing is replaced and standard error says so, as Composer warns. Returns how many
    /// were replaced.
    /// </summary>
    public static int ApplyLowPrecisionLayerNorm(nn.Module model, Precision precision)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (precision == Precision.Fp32)
        {
            Console.Error.WriteLine("LowPrecisionLayerNorm has no effect in fp32: it applies to AmpBf16 and AmpFp16 only.");
            return 0;
        }
        return ModuleSurgery.ReplaceModules(model, (module, _) => module is LayerNorm norm ? new LowPrecisionLayerNormModule(norm) : null).Count;
    }
}
