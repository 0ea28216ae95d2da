using TorchSharp;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// One step of an exponential moving average of weights (Polyak and Juditsky, 1992):
    /// <c>ema = smoothing * ema + (1 - smoothing) * weight</c> for every parameter and buffer of <paramref name="model"/>,
    /// in place, as Composer's <c>compute_ema</c> (an integer buffer, such as a batch-norm counter, gets the average
    /// truncated to an integer).
    /// </summary>
    /// <param name="model">The model being trained.</param>
    /// <param name="emaWeights">The averaged weights, by the names of <c>model.named_parameters()</c> and <c>named_buffers()</c>.</param>
    /// <param name="smoothing">The weight kept from the average, in <c>[0, 1]</c>.</param>
    public static void ComputeEma(nn.Module model, IReadOnlyDictionary<string, Tensor> emaWeights, double smoothing = 0.99)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(emaWeights);
        if (smoothing is < 0 or > 1 || double.IsNaN(smoothing))
            throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "EMA smoothing must be in [0, 1].");
        using var noGrad = no_grad();
        foreach ((string name, Tensor weight) in NamedWeights(model))
        {
            if (!emaWeights.TryGetValue(name, out Tensor? average))
                throw new ArgumentException($"The EMA weights have no entry for '{name}'; create them from this model.", nameof(emaWeights));
            // As Composer's compute_ema, integer buffers too: the average, truncated back to the buffer's type.
            average.copy_(average * smoothing + weight * (1 - smoothing));
        }
    }

    /// <summary>
    /// The smoothing that halves a weight's influence every <paramref name="halfLife"/> updates:
    /// <c>2^(-updateInterval / halfLife)</c>.
    /// </summary>
    public static double EmaSmoothing(double halfLife, double updateInterval = 1)
    {
        if (halfLife <= 0 || double.IsNaN(halfLife))
            throw new ArgumentOutOfRangeException(nameof(halfLife), halfLife, "The EMA half-life must be positive.");
        return Math.Pow(2, -(updateInterval / halfLife));
    }

    internal static IEnumerable<(string Name, Tensor Weight)> NamedWeights(nn.Module model)
    {
        foreach ((string name, var parameter) in model.named_parameters())
            yield return (name, parameter);
        foreach ((string name, Tensor buffer) in model.named_buffers())
            yield return (name, buffer);
    }
}
