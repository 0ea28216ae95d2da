namespace Composer.Core;

/// <summary>
/// One call a generated trainer makes: at <paramref name="Event"/>, the method <paramref name="Method"/> of its
/// <paramref name="Member"/>. <see cref="Trainer.Schedule"/> lists them in the order they run, like Composer's
/// algorithm traces but known before the run starts.
/// </summary>
public sealed record ScheduledCall(Event Event, Type Member, string Method)
{
    /// <summary><c>Type.Method</c>, as the generated file's header writes it.</summary>
    public override string ToString() => $"{Member.Name}.{Method}";
}
