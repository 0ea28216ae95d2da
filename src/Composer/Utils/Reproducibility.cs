using TorchSharp;

namespace Composer.Utils;

/// <summary>Seeding, like <c>composer.utils.reproducibility</c>.</summary>
public static class Reproducibility
{
    /// <summary>Seeds torch's CPU and CUDA random state, which every algorithm draws from.</summary>
    public static void SeedAll(int seed)
    {
        torch.manual_seed(seed);
        if (torch.cuda.is_available()) torch.cuda.manual_seed_all(seed);
    }
}
