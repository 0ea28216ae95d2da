// Compiled into the generator too (COMPOSER_GENERATOR, internal there), so both sides share one definition.
namespace Composer.Core;

/// <summary>
/// Subscribes a method of an <see cref="Algorithm"/> or <see cref="Callback"/> to an <see cref="Core.Event"/>.
/// The generated Trainer calls the method directly at that point of the loop.
/// </summary>
/// <remarks>
/// The method must be a non-generic, non-static, public or internal method returning <c>void</c> that takes
/// a <see cref="State"/>, and optionally a <see cref="Loggers.Logger"/> after it. Put the attribute on the
/// method once per event it handles.
/// </remarks>
/// <example>
/// <code>
/// [OnEvent(Event.BeforeLoss)]
/// public void SmoothTargets(State state) { ... }
///
/// // Before every other algorithm at this event, whatever the trainer's list order:
/// [OnEvent(Event.AfterDataloader, RunsBefore = [typeof(Algorithm)])]
/// public void SelectSamples(State state) { ... }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true, Inherited = false)]
#if COMPOSER_GENERATOR
internal
#else
public
#endif
sealed class OnEventAttribute(Event @event) : Attribute
{
    /// <summary>The event at which the method runs.</summary>
    public Event Event { get; } = @event;

    /// <summary>
    /// Members this method must run before at <see cref="Event"/>: every other member of the trainer that is one
    /// of these types (or derives from one). The generator orders by these constraints, then by Composer's rules;
    /// a cycle is error CMP0013.
    /// </summary>
    public Type[] RunsBefore { get; set; } = [];

    /// <summary>Members this method must run after at <see cref="Event"/>, as <see cref="RunsBefore"/>.</summary>
    public Type[] RunsAfter { get; set; } = [];
}
