// Compiled into the generator too (COMPOSER_GENERATOR, internal there), so both sides share one definition.
namespace Composer.Core;

/// <summary>What an <see cref="OnEventAttribute"/> method changes, as <see cref="RewritesAttribute"/> declares it.</summary>
#if COMPOSER_GENERATOR
internal
#else
public
#endif
enum Rewrite
{
    /// <summary>The batch's inputs (augmentations, resizing, mixing).</summary>
    Inputs,
    /// <summary>The batch's targets (smoothing, mixing).</summary>
    Targets,
    /// <summary>Which samples the batch holds (selection drops some).</summary>
    Samples,
    /// <summary>The loss, by interpolating it with another loss (MixUp's and CutMix's <c>interpolateLoss</c>).</summary>
    InterpolatedLoss,
    /// <summary>The gradients (clipping, sharpness-aware steps).</summary>
    Gradients,
    /// <summary>The model's weights or which of them train (averaging, freezing).</summary>
    Weights,
}

/// <summary>
/// Declares what a member's event method changes; repeat the attribute for each thing it changes. The generator
/// reports members whose rewrites conflict: two members that both interpolate the loss get warning CMP0011, as Composer
/// warns at run time for MixUp with CutMix when both have <c>interpolate_loss=True</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true, Inherited = false)]
#if COMPOSER_GENERATOR
internal
#else
public
#endif
sealed class RewritesAttribute(Rewrite what) : Attribute
{
    /// <summary>What the method changes.</summary>
    public Rewrite What { get; } = what;

    /// <summary>
    /// The constructor parameter (a <c>bool</c>) that turns the rewrite on, when the method rewrites only if asked;
    /// null when it always does. CMP0011 then counts the member only where it is created with that argument true.
    /// </summary>
    public string? When { get; set; }
}

/// <summary>
/// Declares that an algorithm or callback cannot be combined with <see cref="Other"/> (or a type derived from it):
/// a trainer listing both fails to compile with error CMP0012, which gives <see cref="Reason"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = true)]
#if COMPOSER_GENERATOR
internal
#else
public
#endif
sealed class IncompatibleWithAttribute(Type other, string reason) : Attribute
{
    /// <summary>The type this member cannot be combined with.</summary>
    public Type Other { get; } = other;

    /// <summary>Why, as the error shows it.</summary>
    public string Reason { get; } = reason;
}
