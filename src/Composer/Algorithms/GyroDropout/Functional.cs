using Composer.Algorithms;
using Composer.Surgery;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// Composer's <c>apply_gyro_dropout</c>: every <c>Dropout</c> becomes a <see cref="GyroDropoutLayer"/> for a run of
    /// <paramref name="maxEpoch"/> epochs of <paramref name="itersPerEpoch"/> batches.
    /// </summary>
    /// <returns>How many dropouts were replaced.</returns>
    public static int ApplyGyroDropout(nn.Module model, long itersPerEpoch, long maxEpoch, double p = 0.5, int sigma = 256, int tau = 16) =>
        ModuleSurgery.ReplaceModules(model, (module, _) => module is Dropout ? new GyroDropoutLayer(itersPerEpoch, maxEpoch, p, sigma, tau) : null).Count;
}
