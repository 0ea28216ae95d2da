using TorchSharp;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// Adds the model's weights to an equal-weight running average of <paramref name="count"/> earlier snapshots:
    /// <c>average += (w − average) / (count + 1)</c>, as <c>torch.optim.swa_utils.AveragedModel</c> does (TorchSharp
    /// has no swa_utils). Buffers (batch-norm statistics) are copied, not averaged.
    /// </summary>
    /// <returns>The new count.</returns>
    public static long UpdateSwaAverage(nn.Module model, IReadOnlyDictionary<string, Tensor> average, long count)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(average);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach ((string name, Tensor parameter) in model.named_parameters())
            average[name].add_((parameter.detach() - average[name]) / (count + 1));
        foreach ((string name, Tensor buffer) in model.named_buffers())
            average[name].copy_(buffer);
        return count + 1;
    }

    /// <summary>
    /// SWALR's rate: from <paramref name="startRate"/> to <paramref name="swaRate"/> over <paramref name="annealSteps"/>
    /// steps, along a cosine (or a line), then constant (<c>torch.optim.swa_utils.SWALR</c>, rebuilt here).
    /// </summary>
    public static double SwaLearningRate(double startRate, double swaRate, long step, long annealSteps, bool cosine = true)
    {
        double t = annealSteps <= 0 ? 1 : Math.Min(1.0, (double)step / annealSteps);
        double blend = cosine ? (1 - Math.Cos(Math.PI * t)) / 2 : t;
        return startRate * (1 - blend) + swaRate * blend;
    }
}
