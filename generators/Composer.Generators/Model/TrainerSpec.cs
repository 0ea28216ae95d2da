using Composer.Core;

namespace Composer.Generators.Model;

/// <summary>Everything the emitter needs to write one Trainer; values only, no symbols or syntax.</summary>
/// <param name="Namespace">The trainer's namespace, or null for the global namespace.</param>
/// <param name="ClassName">The trainer class's name.</param>
/// <param name="Members">The listed algorithms and callbacks, in declaration order, duplicates removed.</param>
/// <param name="Schedule">The events that have calls, in Composer's order, each with its calls in the order they run.</param>
internal sealed record TrainerSpec(
    string? Namespace,
    string ClassName,
    EquatableArray<MemberSpec> Members,
    EquatableArray<EventCalls> Schedule)
{
    /// <summary>The class's full name.</summary>
    public string FullName => Namespace is null ? ClassName : $"{Namespace}.{ClassName}";

    /// <summary>The hint name of the loop's file: the trainer's full name.</summary>
    public string HintName => FullName + ".g.cs";

    /// <summary>The hint name of the schedule's file.</summary>
    public string ScheduleHintName => FullName + ".Schedule.g.cs";

    /// <summary>The calls at <paramref name="event"/>, in order; none when no member subscribes.</summary>
    public EquatableArray<Call> CallsAt(Event @event)
    {
        foreach (EventCalls calls in Schedule)
            if (calls.Event == @event) return calls.Calls;
        return default;
    }
}

/// <summary>What a listed type is, which fixes where it runs at each event.</summary>
internal enum MemberKind
{
    Algorithm,
    Callback,
    Logger,
}

/// <summary>One algorithm or callback of a trainer.</summary>
/// <param name="Index">Its position in the trainer's list: its identity in the model (RunsBefore, RunsAfter).</param>
/// <param name="TypeName">The fully qualified type, with <c>global::</c>.</param>
/// <param name="DisplayName">The type's short name, for comments.</param>
/// <param name="FieldName">The private field that holds the instance.</param>
/// <param name="ParameterName">The constructor parameter that receives the instance.</param>
/// <param name="Kind">Algorithm, callback or logger destination.</param>
internal sealed record MemberSpec(
    int Index,
    string TypeName,
    string DisplayName,
    string FieldName,
    string ParameterName,
    MemberKind Kind);

/// <summary>One [OnEvent] subscription of a member: the method to call at an event, and the order it asks for.</summary>
/// <param name="Event">The event.</param>
/// <param name="MethodName">The method's name.</param>
/// <param name="TakesLogger">Whether the method takes a Logger after the State.</param>
/// <param name="Cref">The method as a documentation reference, for <c>&lt;see cref&gt;</c>.</param>
/// <param name="RunsBefore">The <see cref="MemberSpec.Index"/> of each member this call must precede at its event.</param>
/// <param name="RunsAfter">The <see cref="MemberSpec.Index"/> of each member this call must follow at its event.</param>
internal sealed record Subscription(
    Event Event,
    string MethodName,
    bool TakesLogger,
    string Cref,
    EquatableArray<int> RunsBefore,
    EquatableArray<int> RunsAfter);

/// <summary>One call the trainer makes at an event: a member's subscription, in the schedule.</summary>
internal sealed record Call(MemberSpec Member, Subscription Subscription);

/// <summary>The calls at one event, in the order they run, and the comment that explains that order.</summary>
internal sealed record EventCalls(Event Event, string Comment, EquatableArray<Call> Calls);
