namespace Composer.Generators.Model;

/// <summary>Everything the emitter needs to write one Trainer; values only, no symbols or syntax.</summary>
/// <param name="Namespace">The trainer's namespace, or null for the global namespace.</param>
/// <param name="ClassName">The trainer class's name.</param>
/// <param name="Members">The listed algorithms and callbacks, in declaration order, duplicates removed.</param>
internal sealed record TrainerSpec(
    string? Namespace,
    string ClassName,
    EquatableArray<MemberSpec> Members)
{
    /// <summary>The hint name of the generated file: the trainer's full name.</summary>
    public string HintName => (Namespace is null ? ClassName : $"{Namespace}.{ClassName}") + ".g.cs";
}

/// <summary>What a listed type is, which fixes where it runs at each event.</summary>
internal enum MemberKind
{
    Algorithm,
    Callback,
    Logger,
}

/// <summary>One algorithm or callback of a trainer.</summary>
/// <param name="TypeName">The fully qualified type, with <c>global::</c>.</param>
/// <param name="DisplayName">The type's short name, for comments.</param>
/// <param name="FieldName">The private field that holds the instance.</param>
/// <param name="ParameterName">The constructor parameter that receives the instance.</param>
/// <param name="Kind">Algorithm, callback or logger destination.</param>
/// <param name="Handlers">Its [OnEvent] methods, one entry per (method, event), in declaration order.</param>
internal sealed record MemberSpec(
    string TypeName,
    string DisplayName,
    string FieldName,
    string ParameterName,
    MemberKind Kind,
    EquatableArray<HandlerSpec> Handlers);

/// <summary>One subscription: a method to call at an event.</summary>
/// <param name="Event">The event's value in <c>Composer.Core.Event</c>.</param>
/// <param name="MethodName">The method's name.</param>
/// <param name="TakesLogger">Whether the method takes a Logger after the State.</param>
/// <param name="Cref">The method as a documentation reference, for <c>&lt;see cref&gt;</c>.</param>
/// <param name="RunsBefore">The field names of the trainer's members this call must precede at its event.</param>
/// <param name="RunsAfter">The field names of the trainer's members this call must follow at its event.</param>
/// <param name="Rewrites">What the method declares it changes (<c>Composer.Core.Rewrite</c> values).</param>
internal sealed record HandlerSpec(
    int Event,
    string MethodName,
    bool TakesLogger,
    string Cref,
    EquatableArray<string> RunsBefore,
    EquatableArray<string> RunsAfter,
    EquatableArray<int> Rewrites);
