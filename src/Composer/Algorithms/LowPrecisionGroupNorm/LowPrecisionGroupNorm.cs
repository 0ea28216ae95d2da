using Composer.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Algorithms;

/// <summary>
/// Group normalization computed in a lower precision, Composer's <c>LPGroupNorm</c>: the input, weight and bias are cast
/// to <see cref="Precision"/> for the normalization and the result back to the input's type. Composer takes the precision
/// from the active autocast; TorchSharp has no autocast, so it is given (bfloat16 by default, which the CPU runs).
/// </summary>
public sealed class LowPrecisionGroupNorm2d : nn.Module<Tensor, Tensor>
{
    private readonly GroupNorm norm;
    private readonly long _groups;
    private readonly double _eps;

    /// <summary>Wraps <paramref name="groupNorm"/> (its parameters stay the same).</summary>
    public LowPrecisionGroupNorm2d(GroupNorm groupNorm, long groups, double eps = 1e-5, ScalarType precision = ScalarType.BFloat16) : base(nameof(LowPrecisionGroupNorm2d))
    {
        norm = groupNorm ?? throw new ArgumentNullException(nameof(groupNorm));
        _groups = groups;
        _eps = eps;
        Precision = precision;
        RegisterComponents();
    }

    /// <summary>The type the normalization is computed in.</summary>
    public ScalarType Precision { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor? weight = norm.weight?.to_type(Precision), bias = norm.bias?.to_type(Precision);
        return nn.functional.group_norm(input.to_type(Precision), _groups, weight, bias, _eps).to_type(input.dtype).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Low Precision GroupNorm (Composer's <c>composer.algorithms.LowPrecisionGroupNorm</c>): at <see cref="Event.Init"/>
/// every <c>GroupNorm</c> computes in <c>precision</c> (bfloat16 by default) to save memory bandwidth.
/// </summary>
public sealed class LowPrecisionGroupNorm(ScalarType precision = ScalarType.BFloat16) : Algorithm
{
    /// <summary>How many group norms were replaced.</summary>
    public int Replaced { get; private set; }

    /// <summary>Replaces the group norms; the group count comes from the model (<see cref="GroupNormGroups"/>).</summary>
    [OnEvent(Event.Init)]
    public void Apply(State state) => Replaced = Functional.ApplyLowPrecisionGroupNorm(state.Model, precision);

    private const System.Reflection.BindingFlags Members =
        System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic;

    /// <summary>The number of groups a TorchSharp <c>GroupNorm</c> was created with (it keeps it in a non-public property).</summary>
    public static long GroupNormGroups(GroupNorm norm) =>
        (long)(typeof(GroupNorm).GetProperty("num_groups", Members)?.GetValue(norm)
            ?? throw new NotSupportedException("This TorchSharp's GroupNorm does not expose its number of groups."));

    /// <summary>The epsilon a TorchSharp <c>GroupNorm</c> was created with.</summary>
    public static double GroupNormEps(GroupNorm norm) => (double)(typeof(GroupNorm).GetProperty("eps", Members)?.GetValue(norm) ?? 1e-5);
}
