using Composer.Models.Transformer;
using Composer.Surgery;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// Replaces every <see cref="FeedForward"/> block with a <see cref="GatedFeedForward"/> of the same widths and
    /// dropout (Composer's <c>apply_gated_linear_units</c>; its new layers start freshly initialized, as Composer's do).
    /// Returns how many were replaced.
    /// </summary>
    public static int ApplyGatedLinearUnits(nn.Module model, optim.Optimizer? optimizer = null, Func<Tensor, Tensor>? activation = null,
        bool gatedLayerBias = false, bool nonGatedLayerBias = false) =>
        ModuleSurgery.ReplaceModules(model, (module, _) => module is FeedForward ff
            ? new GatedFeedForward(ff.Dimension, ff.Hidden, ff.DropoutRate, activation, gatedLayerBias, nonGatedLayerBias).to(ParameterDevice(ff))
            : null, optimizer).Count;
}
