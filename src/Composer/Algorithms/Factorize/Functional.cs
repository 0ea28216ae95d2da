using Composer.Algorithms;
using Composer.Surgery;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// The rank-<paramref name="rank"/> factors of <paramref name="matrix"/> [m, n] from its SVD: down [rank, n] =
    /// √S_k V_kᵀ and up [m, rank] = U_k √S_k, so up · down is the best rank-k approximation.
    /// </summary>
    public static (Tensor Down, Tensor Up) FactorizeMatrix(Tensor matrix, long rank)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        using var scope = NewDisposeScope();
        var (u, s, vh) = linalg.svd(matrix.detach().to_type(ScalarType.Float64), fullMatrices: false);
        if (rank > s.shape[0]) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"The matrix has rank at most {s.shape[0]}.");
        Tensor root = s.narrow(0, 0, rank).sqrt();
        Tensor down = (root.unsqueeze(1) * vh.narrow(0, 0, rank)).to_type(matrix.dtype);
        Tensor up = (u.narrow(1, 0, rank) * root.unsqueeze(0)).to_type(matrix.dtype);
        return (down.MoveToOuterDisposeScope(), up.MoveToOuterDisposeScope());
    }

    /// <summary>Composer's <c>apply_factorization</c>; returns how many layers were factorized.</summary>
    public static int ApplyFactorization(nn.Module model, optim.Optimizer? optimizer = null, bool factorizeConvs = true, bool factorizeLinears = true,
        int minChannels = 256, double latentChannels = 0.25, int minFeatures = 256, double latentFeatures = 0.25) =>
        ModuleSurgery.ReplaceModules(model, (module, _) =>
        {
            switch (module)
            {
                case Conv2d conv when factorizeConvs && conv.groups == 1 && Math.Min(conv.in_channels, conv.out_channels) >= minChannels:
                {
                    long k = Latent(latentChannels, Math.Min(conv.in_channels, conv.out_channels));
                    long spatial = conv.kernel_size[0] * conv.kernel_size[1];
                    // Only when the two layers hold fewer weights than the one.
                    return k * (conv.in_channels * spatial + conv.out_channels) < conv.out_channels * conv.in_channels * spatial
                        ? new FactorizedConv2d(conv, k) : null;
                }
                case Linear linear when factorizeLinears && Math.Min(linear.in_features, linear.out_features) >= minFeatures:
                {
                    long k = Latent(latentFeatures, Math.Min(linear.in_features, linear.out_features));
                    return k * (linear.in_features + linear.out_features) < linear.in_features * linear.out_features ? new FactorizedLinear(linear, k) : null;
                }
                default:
                    return null;
            }
        }, optimizer).Count;

    private static long Latent(double latent, long smaller) => Math.Max(1, latent >= 1 ? (long)latent : (long)(latent * smaller));
}
