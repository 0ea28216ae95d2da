using Composer.Core;
using Composer.Loggers;

namespace Composer.Algorithms;

/// <summary>
/// BlurPool (Zhang, 2019, "Making Convolutional Networks Shift-Invariant Again", arXiv:1904.11486), as
/// <c>composer.algorithms.BlurPool</c>: at <see cref="Event.Init"/> strided convolutions and max-pools get an
/// anti-aliasing low-pass filter. Composer's defaults: <c>replaceConvs</c> and <c>replaceMaxPools</c> true,
/// <c>blurFirst</c> true, <c>minChannels</c> 16.
/// </summary>
public sealed class BlurPool(bool replaceConvs = true, bool replaceMaxPools = true, bool blurFirst = true, int minChannels = 16) : Algorithm
{
    /// <summary>How many modules the last application replaced.</summary>
    public int Replaced { get; private set; }

    /// <summary>Replaces the modules in the model and updates the optimizer.</summary>
    [OnEvent(Event.Init)]
    public void Apply(State state, Logger logger)
    {
        Replaced = Functional.ApplyBlurPool(state.Model, state.Optimizer, replaceConvs, replaceMaxPools, blurFirst, minChannels);
        if (Replaced == 0)
            Console.Error.WriteLine("BlurPool found no strided Conv2d with enough input channels and no MaxPool2d to replace.");
        logger.LogHyperparameters(new Dictionary<string, object> { ["blurpool/num_replaced_layers"] = Replaced });
    }
}
