// Compiled into the generator too (COMPOSER_GENERATOR, internal there), so both sides share one definition.
namespace Composer.Core;

/// <summary>
/// Keeps a field of an algorithm or callback in the checkpoint: the generator implements <see cref="IStateful"/> for
/// the (partial) class, saving and loading every field marked so, and a resumed run continues with the values the
/// saved run had. Fields may be numbers, <c>bool</c>, enums, <c>string</c>, tensors, arrays of numbers or strings, and
/// lists of tensors; another type is error CMP0017.
/// </summary>
/// <example>
/// <code>
/// public sealed partial class CountBatches : Callback
/// {
///     [Checkpointed] private long _batches;
///     [OnEvent(Event.BatchEnd)] public void Count(State state) => _batches++;
/// }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Field, Inherited = false)]
#if COMPOSER_GENERATOR
internal
#else
public
#endif
sealed class CheckpointedAttribute : Attribute;
