using Composer.Algorithms;
using Composer.Models;
using Composer.Surgery;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// Composer's <c>apply_squeeze_excite</c>: every <c>Conv2d</c> with min(in, out) channels at least
    /// <paramref name="minChannels"/> is followed by a squeeze-and-excitation block; the optimizer gets its parameters.
    /// </summary>
    /// <returns>How many convolutions got a block.</returns>
    public static int ApplySqueezeExcite(nn.Module model, optim.Optimizer? optimizer = null, double latentChannels = 64, int minChannels = 128) =>
        ModuleSurgery.ReplaceModules(model, (module, _) =>
            module is Conv2d conv && Math.Min(conv.in_channels, conv.out_channels) >= minChannels ? new SqueezeExciteConv2d(conv, latentChannels) : null,
            optimizer).Count;

    /// <summary>Composer's <c>apply_ghost_batchnorm</c>: every <c>BatchNorm2d</c> normalizes chunks of <paramref name="ghostBatchSize"/> samples.</summary>
    /// <returns>How many batch norms were replaced.</returns>
    public static int ApplyGhostBatchNorm(nn.Module model, optim.Optimizer? optimizer = null, int ghostBatchSize = 32) =>
        ModuleSurgery.ReplaceModules(model, (module, _) => module is BatchNorm2d bn ? new GhostBatchNorm2d(bn, ghostBatchSize) : null, optimizer).Count;

    /// <summary>Composer's <c>apply_stochastic_depth</c> (block-wise): every <see cref="ResNetBasicBlock"/> becomes a <see cref="StochasticBlock"/>.</summary>
    /// <returns>The stochastic blocks, in depth order.</returns>
    public static List<StochasticBlock> ApplyStochasticDepth(nn.Module model, double dropRate = 0.2, string dropDistribution = "linear")
    {
        if (dropDistribution is not ("linear" or "uniform"))
            throw new ArgumentException($"The drop distribution is \"linear\" or \"uniform\", not \"{dropDistribution}\".", nameof(dropDistribution));
        if (dropRate is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(dropRate), dropRate, "A drop rate is between 0 and 1.");
        var blocks = ModuleSurgery.ReplaceModules(model, (module, _) => module is ResNetBasicBlock block ? new StochasticBlock(block, 0) : null)
            .Select(r => (StochasticBlock)r.New).ToList();
        SetDropRates(blocks, dropRate, dropDistribution);
        return blocks;
    }

    /// <summary>Block i (1-based) of n gets (i / n) · <paramref name="dropRate"/> ("linear") or <paramref name="dropRate"/> ("uniform").</summary>
    public static void SetDropRates(IReadOnlyList<StochasticBlock> blocks, double dropRate, string dropDistribution)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        for (int i = 0; i < blocks.Count; i++)
            blocks[i].DropRate = dropDistribution == "linear" ? (i + 1.0) / blocks.Count * dropRate : dropRate;
    }
}
