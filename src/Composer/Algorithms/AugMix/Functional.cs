using Composer.Algorithms.Augmentations;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// AugMix's combination (Hendrycks et al., 2020, "AugMix: A Simple Data Processing Method to Improve Robustness
    /// and Uncertainty", arXiv:1912.02781): <c>(1 − m)·image + m·Σᵢ wᵢ·chainᵢ</c>.
    /// </summary>
    public static Tensor AugMixCombine(Tensor image, IReadOnlyList<Tensor> chains, IReadOnlyList<double> chainWeights, double mixingWeight)
    {
        if (chains.Count != chainWeights.Count) throw new ArgumentException("One weight per chain is needed.", nameof(chainWeights));
        using var scope = NewDisposeScope();
        Tensor combination = zeros_like(image);
        for (int i = 0; i < chains.Count; i++) combination = combination + chainWeights[i] * chains[i];
        return ((1 - mixingWeight) * image + mixingWeight * combination).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// AugMix on one image [C, H, W] in [0, 1], as Composer's <c>augmix_image</c>: <paramref name="width"/> chains of
    /// <paramref name="depth"/> random operations (1 to 3 when −1), weighted by Dirichlet(alpha) and mixed with the
    /// image by Beta(alpha, alpha).
    /// </summary>
    public static Tensor AugMixImage(Tensor image, int severity = 3, int depth = -1, int width = 3, double alpha = 1.0,
        AugmentationSet augmentationSet = AugmentationSet.All)
    {
        RequireImage(image, "AugMix");
        var operations = AugmentationPrimitives.Of(augmentationSet);
        using var scope = NewDisposeScope();
        Tensor gammas = _standard_gamma(full(width + 2, alpha, float64));
        double[] g = gammas.data<double>().ToArray();
        double total = g.Take(width).Sum();
        double[] chainWeights = g.Take(width).Select(x => x / total).ToArray();
        double mixing = g[width] / (g[width] + g[width + 1]);
        var chains = new List<Tensor>(width);
        for (int c = 0; c < width; c++)
        {
            Tensor chain = image;
            int steps = depth > 0 ? depth : 1 + AugmentationPrimitives.Choose(3);
            for (int s = 0; s < steps; s++)
                chain = operations[AugmentationPrimitives.Choose(operations.Count)].Apply(chain, severity);
            chains.Add(chain);
        }
        return AugMixCombine(image, chains, chainWeights, mixing).MoveToOuterDisposeScope();
    }
}
