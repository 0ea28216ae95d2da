using TorchSharp;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// SAM's ascent step (Foret et al., 2021, "Sharpness-Aware Minimization for Efficiently Improving
    /// Generalization", arXiv:2010.01412): moves each parameter by <c>e = rho · g / (‖g‖ + epsilon)</c>, where ‖g‖ is
    /// the global L2 norm of the gradients, and returns the moves so <see cref="SamRestore"/> can undo them.
    /// </summary>
    public static List<(Tensor Parameter, Tensor Move)> SamAscend(IEnumerable<Tensor> parameters, double rho = 0.05, double epsilon = 1e-12)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Tensor[] withGrad = parameters.Where(p => p.grad is not null).ToArray();
        var moves = new List<(Tensor, Tensor)>(withGrad.Length);
        if (withGrad.Length == 0) return moves;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Tensor norm = stack(withGrad.Select(p => p.grad!.norm()).ToArray()).norm();
        Tensor scale = rho / (norm + epsilon);
        foreach (Tensor parameter in withGrad)
        {
            Tensor move = (parameter.grad! * scale).MoveToOuterDisposeScope();
            parameter.add_(move);
            moves.Add((parameter, move));
        }
        return moves;
    }

    /// <summary>Undoes <see cref="SamAscend"/>, returning each parameter to where it was.</summary>
    public static void SamRestore(List<(Tensor Parameter, Tensor Move)> moves)
    {
        using var noGrad = no_grad();
        foreach ((Tensor parameter, Tensor move) in moves)
        {
            parameter.sub_(move);
            move.Dispose();
        }
    }
}
