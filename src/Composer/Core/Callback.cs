namespace Composer.Core;

/// <summary>
/// Base of a member that observes training without changing the math (checkpoints, monitors, early
/// stopping). Subclasses subscribe methods with <see cref="OnEventAttribute"/>; callbacks run after the
/// algorithms at each event, and before them at <see cref="Event.Init"/>.
/// </summary>
public abstract class Callback;
