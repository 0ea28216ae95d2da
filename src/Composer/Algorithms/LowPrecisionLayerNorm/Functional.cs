using Composer.Algorithms;
using Composer.Surgery;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// Replaces every <c>LayerNorm</c> with a <see cref="LowPrecisionLayerNormModule"/> computing in
    /// <paramref name="precision"/> (Composer's <c>apply_low_precision_layernorm</c>); the parameters are kept, so the
    /// optimizer needs no update. Returns how many were replaced.
    /// </summary>
    public static int ApplyLowPrecisionLayerNorm(nn.Module model, ScalarType precision = ScalarType.BFloat16) =>
        ModuleSurgery.ReplaceModules(model, (module, _) => module is LayerNorm norm ? new LowPrecisionLayerNormModule(norm, precision) : null).Count;
}
