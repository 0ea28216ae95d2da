namespace Composer.Core;

/// <summary>
/// Base of a speed-up method that changes how the model trains (the batch, the loss, the weights).
/// Subclasses subscribe methods with <see cref="OnEventAttribute"/>; at each event algorithms run before
/// callbacks, in the order the trainer lists them (reversed on the <c>After*</c> events, as Composer does).
/// </summary>
public abstract class Algorithm;
