using System.Collections.Immutable;
using Composer.Core;
using Composer.Generators.Diagnostics;
using Composer.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Composer.Generators.Parsing;

/// <summary>
/// Reads a [Trainer] class and its members' [OnEvent] methods into a <see cref="TrainerSpec"/>. The
/// generator uses the spec; the analyzer uses the same checks to report diagnostics, so the two agree on
/// what is valid.
/// </summary>
internal static class TrainerParser
{
    private static readonly SymbolDisplayFormat FullName = SymbolDisplayFormat.FullyQualifiedFormat;

    /// <summary>
    /// Builds the spec of <paramref name="trainer"/>, or null when no code can be generated for it. Every
    /// problem found goes to <paramref name="report"/> when one is given.
    /// </summary>
    public static TrainerSpec? Parse(INamedTypeSymbol trainer, KnownTypeSymbols known, Action<Diagnostic>? report, CancellationToken cancellationToken)
    {
        AttributeData? attribute = trainer.GetAttributes().FirstOrDefault(a => KnownTypeSymbols.Is(a.AttributeClass, known.TrainerAttribute));
        if (attribute is null || !known.HasRuntime) return null;
        Location location = trainer.Locations.FirstOrDefault() ?? Location.None;
        string trainerName = trainer.Name;

        // A class that is not partial gets no code (its declaration would collide with the generated one as the
        // compiler's CS0260); the generator reports CMP0005 itself (NotPartial), because the compiler does not run
        // analyzers once a build has errors, and a use of the trainer has some.
        if (!IsPartial(trainer, cancellationToken)) return null;
        if (trainer.ContainingType is not null || trainer.IsGenericType)
        {
            report?.Invoke(Diagnostic.Create(DiagnosticDescriptors.TrainerNestedOrGeneric, location, trainerName));
            return null;
        }
        if (trainer.BaseType is { SpecialType: not SpecialType.System_Object } baseType && !KnownTypeSymbols.Is(baseType, known.TrainerBase))
        {
            report?.Invoke(Diagnostic.Create(DiagnosticDescriptors.TrainerHasBaseClass, location, trainerName, baseType.ToDisplayString()));
            return null;
        }

        ImmutableArray<TypedConstant> listed = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Kind == TypedConstantKind.Array
            ? attribute.ConstructorArguments[0].Values
            : ImmutableArray<TypedConstant>.Empty;
        ImmutableArray<Location> argumentLocations = ArgumentLocations(attribute, listed.Length, cancellationToken);

        var accepted = new List<Listed>();
        var seen = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
        var usedNames = new HashSet<string>(StringComparer.Ordinal) { "options", "state", "logger" };
        for (int i = 0; i < listed.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Location memberLocation = argumentLocations[i];
            if (listed[i].Value is not INamedTypeSymbol type || MemberKindOf(type, known) is not MemberKind kind)
            {
                string shown = listed[i].Value is ITypeSymbol t ? t.ToDisplayString() : "null";
                report?.Invoke(Diagnostic.Create(DiagnosticDescriptors.InvalidMember, memberLocation, shown, trainerName));
                continue;
            }
            if (!seen.Add(type))
            {
                report?.Invoke(Diagnostic.Create(DiagnosticDescriptors.DuplicateMember, memberLocation, type.ToDisplayString(), trainerName));
                continue;
            }
            accepted.Add(new Listed(type, kind, memberLocation, UniqueName(CamelCase(type.Name), usedNames)));
        }

        var members = new List<(MemberSpec Member, EquatableArray<Subscription> Subscriptions)>();
        for (int index = 0; index < accepted.Count; index++)
        {
            Listed member = accepted[index];
            EquatableArray<Subscription> subscriptions = SubscriptionsOf(member.Type, accepted, known);
            // A logger destination is reached through the Logger, so it needs no event of its own.
            if (subscriptions.Count == 0 && member.Kind != MemberKind.Logger && !HasAnyHandlerAttribute(member.Type, known))
                report?.Invoke(Diagnostic.Create(DiagnosticDescriptors.MemberWithoutHandlers, member.Location, member.Type.ToDisplayString(), trainerName));
            members.Add((new MemberSpec(
                index,
                member.Type.ToDisplayString(FullName),
                member.Type.Name,
                "_" + member.Name,
                SyntaxFacts.GetKeywordKind(member.Name) == SyntaxKind.None ? member.Name : "@" + member.Name,
                member.Kind), subscriptions));
        }

        string? ns = trainer.ContainingNamespace.IsGlobalNamespace ? null : trainer.ContainingNamespace.ToDisplayString();
        var schedule = new List<EventCalls>();
        foreach (Event @event in Events.All)
        {
            IReadOnlyList<Call> ordered = EventSchedule.Order(members, @event, out IReadOnlyList<string>? cycle);
            // A cycle fails the build (CMP0013); the file keeps Composer's order meanwhile.
            if (cycle is not null)
                report?.Invoke(Diagnostic.Create(DiagnosticDescriptors.OrderingCycle, location, @event.ToString(), trainerName, string.Join(" -> ", cycle)));
            if (ordered.Count == 0) continue;
            schedule.Add(new EventCalls(@event, EventSchedule.Comment(@event, ordered), ordered.ToEquatableArray()));
        }
        var spec = new TrainerSpec(ns, trainerName, members.Select(m => m.Member).ToEquatableArray(), schedule.ToEquatableArray());
        if (report is not null) CheckComposition(spec, accepted, known, report);
        return spec;
    }

    /// <summary>
    /// Whether a member of <paramref name="type"/> interpolates the loss: always, only when created with the named
    /// constructor argument true, or never.
    /// </summary>
    public static (bool Always, string? When) LossInterpolation(INamedTypeSymbol type, KnownTypeSymbols known)
    {
        string? when = null;
        for (INamedTypeSymbol? t = type; t is not null; t = t.BaseType)
        {
            foreach (IMethodSymbol method in t.GetMembers().OfType<IMethodSymbol>())
            {
                if (!OnEventAttributes(method, known).Any()) continue;
                foreach (AttributeData a in method.GetAttributes())
                {
                    if (!KnownTypeSymbols.Is(a.AttributeClass, known.RewritesAttribute) || a.ConstructorArguments.Length != 1
                        || a.ConstructorArguments[0].Value is not int what || what != (int)Rewrite.InterpolatedLoss)
                        continue;
                    string? condition = a.NamedArguments.FirstOrDefault(n => n.Key == nameof(RewritesAttribute.When)).Value.Value as string;
                    if (condition is null) return (true, null);
                    when = condition;
                }
            }
        }
        return (false, when);
    }

    private sealed record Listed(INamedTypeSymbol Type, MemberKind Kind, Location Location, string Name);

    // Conflicts the members declare: the analyzer's part only. Conditional loss interpolation is checked where the
    // trainer is created (TrainerAnalyzer), since only the constructor arguments say whether it is on.
    private static void CheckComposition(TrainerSpec spec, List<Listed> accepted, KnownTypeSymbols known, Action<Diagnostic> report)
    {
        var interpolating = accepted.Where(m => LossInterpolation(m.Type, known).Always).ToList();
        for (int i = 1; i < interpolating.Count; i++)
            report(Diagnostic.Create(DiagnosticDescriptors.LossInterpolatedTwice, interpolating[i].Location,
                interpolating[0].Type.Name, interpolating[i].Type.Name, spec.ClassName));

        // Composer.NET sets no iteration length (Composer's default), so iterations never end.
        foreach (EventCalls calls in spec.Schedule.Where(e => e.Event is Event.IterationEnd or Event.IterationCheckpoint))
            foreach (Call call in calls.Calls)
                report(Diagnostic.Create(DiagnosticDescriptors.EventNeverRaised, accepted[call.Member.Index].Location,
                    $"{call.Member.DisplayName}.{call.Subscription.MethodName}", calls.Event.ToString(), spec.ClassName));

        var reported = new HashSet<(int, int)>();
        for (int i = 0; i < accepted.Count; i++)
        {
            foreach ((ITypeSymbol other, string reason) in IncompatibilitiesOf(accepted[i].Type, known))
            {
                for (int j = 0; j < accepted.Count; j++)
                {
                    if (j == i || !IsA(accepted[j].Type, other) || !reported.Add((Math.Min(i, j), Math.Max(i, j)))) continue;
                    Location at = accepted[Math.Max(i, j)].Location;
                    report(Diagnostic.Create(DiagnosticDescriptors.IncompatibleMembers, at,
                        accepted[i].Type.Name, accepted[j].Type.Name, spec.ClassName, reason));
                }
            }
        }
    }

    private static IEnumerable<(ITypeSymbol Other, string Reason)> IncompatibilitiesOf(INamedTypeSymbol type, KnownTypeSymbols known)
    {
        for (INamedTypeSymbol? t = type; t is not null; t = t.BaseType)
            foreach (AttributeData a in t.GetAttributes())
                if (KnownTypeSymbols.Is(a.AttributeClass, known.IncompatibleWithAttribute) && a.ConstructorArguments.Length == 2
                    && a.ConstructorArguments[0].Value is ITypeSymbol other)
                    yield return (other, a.ConstructorArguments[1].Value as string ?? "");
    }

    // True when a member of type candidate counts as target: the type itself, a base class or an interface of it.
    private static bool IsA(ITypeSymbol candidate, ITypeSymbol target)
    {
        for (ITypeSymbol? t = candidate; t is not null; t = t.BaseType)
            if (SymbolEqualityComparer.Default.Equals(t, target)) return true;
        return candidate.AllInterfaces.Any(i => SymbolEqualityComparer.Default.Equals(i, target));
    }

    /// <summary>The problem that keeps the trainer from calling <paramref name="method"/>, or null when it can.</summary>
    public static Diagnostic? CheckHandler(IMethodSymbol method, KnownTypeSymbols known)
    {
        Location location = method.Locations.FirstOrDefault() ?? Location.None;
        string name = $"{method.ContainingType.Name}.{method.Name}";
        if (method.IsStatic)
            return Diagnostic.Create(DiagnosticDescriptors.StaticHandler, location, name);
        if (method.IsGenericMethod)
            return Diagnostic.Create(DiagnosticDescriptors.GenericHandler, location, name);
        if (!method.ReturnsVoid || method.MethodKind != MethodKind.Ordinary || !HasHandlerParameters(method, known))
            return Diagnostic.Create(DiagnosticDescriptors.WrongHandlerSignature, location, name);
        if (method.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal))
            return Diagnostic.Create(DiagnosticDescriptors.InaccessibleHandler, location, name,
                SyntaxFacts.GetText(method.DeclaredAccessibility));
        return null;
    }

    /// <summary>The [OnEvent] attributes on <paramref name="method"/>.</summary>
    public static IEnumerable<AttributeData> OnEventAttributes(IMethodSymbol method, KnownTypeSymbols known) =>
        method.GetAttributes().Where(a => KnownTypeSymbols.Is(a.AttributeClass, known.OnEventAttribute));

    private static bool HasHandlerParameters(IMethodSymbol method, KnownTypeSymbols known)
    {
        ImmutableArray<IParameterSymbol> parameters = method.Parameters;
        bool Plain(IParameterSymbol p, INamedTypeSymbol? type) => p.RefKind == RefKind.None && KnownTypeSymbols.Is(p.Type, type);
        return parameters.Length switch
        {
            1 => Plain(parameters[0], known.State),
            2 => Plain(parameters[0], known.State) && Plain(parameters[1], known.Logger),
            _ => false,
        };
    }

    // Base types first, so an inherited subscription runs before the derived type's own at the same event.
    private static EquatableArray<Subscription> SubscriptionsOf(INamedTypeSymbol type, List<Listed> trainerMembers, KnownTypeSymbols known)
    {
        var chain = new Stack<INamedTypeSymbol>();
        for (INamedTypeSymbol? t = type; t is not null && t.SpecialType != SpecialType.System_Object; t = t.BaseType)
            chain.Push(t);

        var subscriptions = new List<Subscription>();
        foreach (INamedTypeSymbol declaring in chain)
        {
            foreach (IMethodSymbol method in declaring.GetMembers().OfType<IMethodSymbol>())
            {
                // Only methods with [OnEvent] are checked: the others are none of the trainer's business.
                List<AttributeData> onEvents = OnEventAttributes(method, known).ToList();
                if (onEvents.Count == 0 || CheckHandler(method, known) is not null) continue;
                foreach (AttributeData onEvent in onEvents)
                {
                    if (onEvent.ConstructorArguments.Length != 1 || onEvent.ConstructorArguments[0].Value is not int value
                        || !Enum.IsDefined(typeof(Event), value))
                        continue;
                    subscriptions.Add(new Subscription((Event)value, method.Name, method.Parameters.Length == 2, Cref(method),
                        MembersNamedBy(onEvent, nameof(OnEventAttribute.RunsBefore), type, trainerMembers),
                        MembersNamedBy(onEvent, nameof(OnEventAttribute.RunsAfter), type, trainerMembers)));
                }
            }
        }
        return subscriptions.ToEquatableArray();
    }

    // The positions of the trainer's other members that a RunsBefore/RunsAfter list of types covers.
    private static EquatableArray<int> MembersNamedBy(AttributeData onEvent, string property, INamedTypeSymbol self, List<Listed> trainerMembers)
    {
        foreach (KeyValuePair<string, TypedConstant> argument in onEvent.NamedArguments)
        {
            if (argument.Key != property || argument.Value.Kind != TypedConstantKind.Array) continue;
            ITypeSymbol[] targets = argument.Value.Values.Select(v => v.Value).OfType<ITypeSymbol>().ToArray();
            return Enumerable.Range(0, trainerMembers.Count)
                .Where(i => !SymbolEqualityComparer.Default.Equals(trainerMembers[i].Type, self) && targets.Any(t => IsA(trainerMembers[i].Type, t)))
                .ToEquatableArray();
        }
        return Enumerable.Empty<int>().ToEquatableArray();
    }

    private static bool HasAnyHandlerAttribute(INamedTypeSymbol type, KnownTypeSymbols known)
    {
        for (INamedTypeSymbol? t = type; t is not null; t = t.BaseType)
            if (t.GetMembers().OfType<IMethodSymbol>().Any(m => OnEventAttributes(m, known).Any()))
                return true;
        return false;
    }

    private static MemberKind? MemberKindOf(INamedTypeSymbol type, KnownTypeSymbols known)
    {
        if (type.TypeKind != TypeKind.Class || type.IsStatic || type.IsUnboundGenericType || type.TypeArguments.Any(a => a.TypeKind == TypeKind.TypeParameter))
            return null;
        for (INamedTypeSymbol? t = type.BaseType; t is not null; t = t.BaseType)
        {
            if (KnownTypeSymbols.Is(t, known.LoggerDestination)) return MemberKind.Logger;
            if (KnownTypeSymbols.Is(t, known.Callback)) return MemberKind.Callback;
            if (KnownTypeSymbols.Is(t, known.Algorithm)) return MemberKind.Algorithm;
        }
        return null;
    }

    private static string Cref(IMethodSymbol method)
    {
        string type = method.ContainingType.ToDisplayString(FullName).Replace('<', '{').Replace('>', '}');
        string parameters = string.Join(", ", method.Parameters.Select(p => p.Type.ToDisplayString(FullName)));
        return $"{type}.{method.Name}({parameters})";
    }

    /// <summary>CMP0005 for a [Trainer] class that is not partial, as the generator reports it; null for a partial one.</summary>
    public static DiagnosticInfo? NotPartial(INamedTypeSymbol trainer, CancellationToken cancellationToken) =>
        IsPartial(trainer, cancellationToken) ? null : DiagnosticInfo.Create(DiagnosticDescriptors.TrainerNotPartial,
            trainer.Locations.FirstOrDefault() ?? Location.None, trainer.Name);

    /// <summary>Whether every declaration of <paramref name="type"/> says <c>partial</c>, so generated code can add to it.</summary>
    internal static bool IsPartial(INamedTypeSymbol type, CancellationToken cancellationToken) =>
        type.DeclaringSyntaxReferences.All(r =>
            r.GetSyntax(cancellationToken) is TypeDeclarationSyntax c && c.Modifiers.Any(SyntaxKind.PartialKeyword));

    // One location per listed type: its typeof(...) argument when written out, else the attribute.
    private static ImmutableArray<Location> ArgumentLocations(AttributeData attribute, int count, CancellationToken cancellationToken)
    {
        Location fallback = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? Location.None;
        var arguments = (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax)?.ArgumentList?.Arguments;
        var locations = ImmutableArray.CreateBuilder<Location>(count);
        for (int i = 0; i < count; i++)
            locations.Add(arguments is { } list && list.Count == count ? list[i].GetLocation() : fallback);
        return locations.MoveToImmutable();
    }

    private static string CamelCase(string name) =>
        name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name.Substring(1);

    private static string UniqueName(string name, HashSet<string> used)
    {
        string candidate = name;
        for (int i = 2; !used.Add(candidate); i++)
            candidate = name + i;
        return candidate;
    }
}
