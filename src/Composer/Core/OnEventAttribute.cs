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
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true, Inherited = false)]
public sealed class OnEventAttribute(Event @event) : Attribute
{
    /// <summary>The event at which the method runs.</summary>
    public Event Event { get; } = @event;
}
