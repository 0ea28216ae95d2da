using Composer.Core;

namespace Composer;

/// <summary>
/// Declares a generated Trainer: put it on a <c>partial class</c> and list the algorithms and callbacks
/// it composes. The generator writes the class's constructor (taking one instance of each listed type and
/// the <see cref="TrainerOptions"/>), <c>Fit()</c> and <c>Eval()</c>, with every subscribed
/// <see cref="OnEventAttribute"/> method called directly at its event.
/// </summary>
/// <example>
/// <code>
/// [Trainer(typeof(LabelSmoothing), typeof(Ema))]
/// public partial class MyTrainer;
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class TrainerAttribute(params Type[] members) : Attribute
{
    /// <summary>The algorithm and callback types, in the order they run at each event.</summary>
    public IReadOnlyList<Type> Members { get; } = members;
}
