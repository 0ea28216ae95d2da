using Composer.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Algorithms;

/// <summary>
/// Group normalization in the autocast dtype, Composer's <c>LPGroupNorm</c>: under autocast the input, weight and bias
/// are cast to autocast's dtype and normalized with autocast off, so the result stays in that dtype; outside autocast it
/// is the plain group norm.
/// </summary>
public sealed class LowPrecisionGroupNorm2d : nn.Module<Tensor, Tensor>
{
    private readonly GroupNorm norm;
    private readonly long _groups;
    private readonly double _eps;

    /// <summary>Wraps <paramref name="groupNorm"/> (its parameters stay the same).</summary>
    public LowPrecisionGroupNorm2d(GroupNorm groupNorm, long groups, double eps = 1e-5) : base(nameof(LowPrecisionGroupNorm2d))
    {
        norm = groupNorm ?? throw new ArgumentNullException(nameof(groupNorm));
        _groups = groups;
        _eps = eps;
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        if (Autocast.ActiveDtype(input.device_type) is not ScalarType dtype) return norm.call(input);
        using var scope = NewDisposeScope();
        Tensor? weight = norm.weight?.to_type(dtype), bias = norm.bias?.to_type(dtype);
        using (Autocast.Disable(input.device_type))
            return nn.functional.group_norm(input.to_type(dtype), _groups, weight, bias, _eps).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Low Precision GroupNorm (Composer's <c>composer.algorithms.LowPrecisionGroupNorm</c>): at <see cref="Event.Init"/>
/// every <c>GroupNorm</c> becomes a <see cref="LowPrecisionGroupNorm2d"/>, which normalizes in the autocast dtype. As in
/// Composer it applies to mixed precision only: under <see cref="Precision.Fp32"/> it replaces nothing and says so.
/// </summary>
public sealed class LowPrecisionGroupNorm : Algorithm
{
    /// <summary>How many group norms were replaced.</summary>
    public int Replaced { get; private set; }

    /// <summary>Replaces the group norms; the group count comes from the model (<see cref="GroupNormGroups"/>).</summary>
    [OnEvent(Event.Init)]
    public void Apply(State state) => Replaced = Functional.ApplyLowPrecisionGroupNorm(state.Model, state.Precision);

    private const System.Reflection.BindingFlags Members =
        System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic;

    /// <summary>The number of groups a TorchSharp <c>GroupNorm</c> was created with (it keeps it in a non-public property).</summary>
    public static long GroupNormGroups(GroupNorm norm) =>
        (long)(typeof(GroupNorm).GetProperty("num_groups", Members)?.GetValue(norm)
            ?? throw new NotSupportedException("This TorchSharp's GroupNorm does not expose its number of groups."));

    /// <summary>The epsilon a TorchSharp <c>GroupNorm</c> was created with.</summary>
    public static double GroupNormEps(GroupNorm norm) => (double)(typeof(GroupNorm).GetProperty("eps", Members)?.GetValue(norm) ?? 1e-5);
}
