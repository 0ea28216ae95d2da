using System.Collections.Immutable;
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
    public const string TrainerAttributeName = "Composer.TrainerAttribute";
    public const string OnEventAttributeName = "Composer.Core.OnEventAttribute";
    private const string StateName = "Composer.Core.State";
    private const string LoggerName = "Composer.Loggers.Logger";
    private const string AlgorithmName = "Composer.Core.Algorithm";
    private const string CallbackName = "Composer.Core.Callback";
    private const string LoggerDestinationName = "Composer.Loggers.LoggerDestination";
    private const string TrainerBaseName = "Composer.Trainer";
    private const string RewritesAttributeName = "Composer.Core.RewritesAttribute";
    private const string IncompatibleWithAttributeName = "Composer.Core.IncompatibleWithAttribute";
    // Composer.Core.Rewrite.InterpolatedLoss; EventCatalogTests keeps it in step with the runtime enum.
    public const int InterpolatedLoss = 3;

    private static readonly SymbolDisplayFormat FullName = SymbolDisplayFormat.FullyQualifiedFormat;

    /// <summary>
    /// Builds the spec of <paramref name="trainer"/>, or null when no code can be generated for it. Every
    /// problem found goes to <paramref name="report"/> when one is given.
    /// </summary>
    public static TrainerSpec? Parse(INamedTypeSymbol trainer, Action<Diagnostic>? report, CancellationToken cancellationToken)
    {
        AttributeData? attribute = trainer.GetAttributes().FirstOrDefault(a => IsNamed(a.AttributeClass, TrainerAttributeName));
        if (attribute is null) return null;
        Location location = trainer.Locations.FirstOrDefault() ?? Location.None;
        string trainerName = trainer.Name;

        if (!IsPartial(trainer, cancellationToken))
        {
            report?.Invoke(Diagnostic.Create(DiagnosticDescriptors.TrainerNotPartial, location, trainerName));
            return null;
        }
        if (trainer.ContainingType is not null || trainer.IsGenericType)
        {
            report?.Invoke(Diagnostic.Create(DiagnosticDescriptors.TrainerNestedOrGeneric, location, trainerName));
            return null;
        }
        if (trainer.BaseType is { SpecialType: not SpecialType.System_Object } baseType && !IsNamed(baseType, TrainerBaseName))
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
            if (listed[i].Value is not INamedTypeSymbol type || MemberKindOf(type) is not MemberKind kind)
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

        var members = new List<MemberSpec>();
        foreach (Listed member in accepted)
        {
            EquatableArray<HandlerSpec> handlers = HandlersOf(member.Type, accepted);
            // A logger destination is reached through the Logger, so it needs no event of its own.
            if (handlers.Count == 0 && member.Kind != MemberKind.Logger && !HasAnyHandlerAttribute(member.Type))
                report?.Invoke(Diagnostic.Create(DiagnosticDescriptors.MemberWithoutHandlers, member.Location, member.Type.ToDisplayString(), trainerName));
            members.Add(new MemberSpec(
                member.Type.ToDisplayString(FullName),
                member.Type.Name,
                "_" + member.Name,
                SyntaxFacts.GetKeywordKind(member.Name) == SyntaxKind.None ? member.Name : "@" + member.Name,
                member.Kind,
                handlers));
        }

        string? ns = trainer.ContainingNamespace.IsGlobalNamespace ? null : trainer.ContainingNamespace.ToDisplayString();
        var spec = new TrainerSpec(ns, trainerName, members.ToEquatableArray());
        if (report is not null) CheckComposition(spec, accepted, location, report);
        return spec;
    }

    private sealed record Listed(INamedTypeSymbol Type, MemberKind Kind, Location Location, string Name);

    // Conflicts the members declare, and the ordering constraints' cycles: the analyzer's part only.
    private static void CheckComposition(TrainerSpec spec, List<Listed> accepted, Location trainerLocation, Action<Diagnostic> report)
    {
        var interpolating = spec.Members
            .Select((m, i) => (Member: m, Listed: accepted[i]))
            .Where(p => p.Member.Handlers.Any(h => h.Rewrites.Contains(InterpolatedLoss)))
            .ToList();
        for (int i = 1; i < interpolating.Count; i++)
            report(Diagnostic.Create(DiagnosticDescriptors.LossInterpolatedTwice, interpolating[i].Listed.Location,
                interpolating[0].Member.DisplayName, interpolating[i].Member.DisplayName, spec.ClassName));

        var reported = new HashSet<(int, int)>();
        for (int i = 0; i < accepted.Count; i++)
        {
            foreach ((ITypeSymbol other, string reason) in IncompatibilitiesOf(accepted[i].Type))
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

        for (int e = 0; e < Events.Names.Length; e++)
        {
            EventSchedule.Order(spec, e, out IReadOnlyList<string>? cycle);
            if (cycle is not null)
                report(Diagnostic.Create(DiagnosticDescriptors.OrderingCycle, trainerLocation,
                    Events.NameOf(e), spec.ClassName, string.Join(" -> ", cycle)));
        }
    }

    private static IEnumerable<(ITypeSymbol Other, string Reason)> IncompatibilitiesOf(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? t = type; t is not null; t = t.BaseType)
            foreach (AttributeData a in t.GetAttributes())
                if (IsNamed(a.AttributeClass, IncompatibleWithAttributeName) && a.ConstructorArguments.Length == 2
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
    public static Diagnostic? CheckHandler(IMethodSymbol method)
    {
        Location location = method.Locations.FirstOrDefault() ?? Location.None;
        string name = $"{method.ContainingType.Name}.{method.Name}";
        if (method.IsStatic)
            return Diagnostic.Create(DiagnosticDescriptors.StaticHandler, location, name);
        if (method.IsGenericMethod)
            return Diagnostic.Create(DiagnosticDescriptors.GenericHandler, location, name);
        if (!method.ReturnsVoid || method.MethodKind != MethodKind.Ordinary || !HasHandlerParameters(method))
            return Diagnostic.Create(DiagnosticDescriptors.WrongHandlerSignature, location, name);
        if (method.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal))
            return Diagnostic.Create(DiagnosticDescriptors.InaccessibleHandler, location, name,
                SyntaxFacts.GetText(method.DeclaredAccessibility));
        return null;
    }

    /// <summary>The [OnEvent] attributes on <paramref name="method"/>.</summary>
    public static IEnumerable<AttributeData> OnEventAttributes(IMethodSymbol method) =>
        method.GetAttributes().Where(a => IsNamed(a.AttributeClass, OnEventAttributeName));

    private static bool HasHandlerParameters(IMethodSymbol method)
    {
        ImmutableArray<IParameterSymbol> parameters = method.Parameters;
        bool Plain(IParameterSymbol p, string type) => p.RefKind == RefKind.None && IsNamed(p.Type, type);
        return parameters.Length switch
        {
            1 => Plain(parameters[0], StateName),
            2 => Plain(parameters[0], StateName) && Plain(parameters[1], LoggerName),
            _ => false,
        };
    }

    // Base types first, so an inherited subscription runs before the derived type's own at the same event.
    private static EquatableArray<HandlerSpec> HandlersOf(INamedTypeSymbol type, List<Listed> trainerMembers)
    {
        var chain = new Stack<INamedTypeSymbol>();
        for (INamedTypeSymbol? t = type; t is not null && t.SpecialType != SpecialType.System_Object; t = t.BaseType)
            chain.Push(t);

        var handlers = new List<HandlerSpec>();
        foreach (INamedTypeSymbol declaring in chain)
        {
            foreach (IMethodSymbol method in declaring.GetMembers().OfType<IMethodSymbol>())
            {
                if (CheckHandler(method) is not null) continue;
                EquatableArray<int> rewrites = method.GetAttributes()
                    .Where(a => IsNamed(a.AttributeClass, RewritesAttributeName) && a.ConstructorArguments.Length == 1)
                    .Select(a => a.ConstructorArguments[0].Value is int v ? v : -1)
                    .ToEquatableArray();
                foreach (AttributeData onEvent in OnEventAttributes(method))
                {
                    if (onEvent.ConstructorArguments.Length != 1 || onEvent.ConstructorArguments[0].Value is not int value) continue;
                    handlers.Add(new HandlerSpec(value, method.Name, method.Parameters.Length == 2, Cref(method),
                        MembersNamedBy(onEvent, "RunsBefore", type, trainerMembers),
                        MembersNamedBy(onEvent, "RunsAfter", type, trainerMembers),
                        rewrites));
                }
            }
        }
        return handlers.ToEquatableArray();
    }

    // The field names of the trainer's other members that a RunsBefore/RunsAfter list of types covers.
    private static EquatableArray<string> MembersNamedBy(AttributeData onEvent, string property, INamedTypeSymbol self, List<Listed> trainerMembers)
    {
        foreach (KeyValuePair<string, TypedConstant> argument in onEvent.NamedArguments)
        {
            if (argument.Key != property || argument.Value.Kind != TypedConstantKind.Array) continue;
            ITypeSymbol[] targets = argument.Value.Values.Select(v => v.Value).OfType<ITypeSymbol>().ToArray();
            return trainerMembers
                .Where(m => !SymbolEqualityComparer.Default.Equals(m.Type, self) && targets.Any(t => IsA(m.Type, t)))
                .Select(m => "_" + m.Name)
                .ToEquatableArray();
        }
        return Enumerable.Empty<string>().ToEquatableArray();
    }

    private static bool HasAnyHandlerAttribute(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? t = type; t is not null; t = t.BaseType)
            if (t.GetMembers().OfType<IMethodSymbol>().Any(m => OnEventAttributes(m).Any()))
                return true;
        return false;
    }

    private static MemberKind? MemberKindOf(INamedTypeSymbol type)
    {
        if (type.TypeKind != TypeKind.Class || type.IsStatic || type.IsUnboundGenericType || type.TypeArguments.Any(a => a.TypeKind == TypeKind.TypeParameter))
            return null;
        for (INamedTypeSymbol? t = type.BaseType; t is not null; t = t.BaseType)
        {
            if (IsNamed(t, LoggerDestinationName)) return MemberKind.Logger;
            if (IsNamed(t, CallbackName)) return MemberKind.Callback;
            if (IsNamed(t, AlgorithmName)) return MemberKind.Algorithm;
        }
        return null;
    }

    private static string Cref(IMethodSymbol method)
    {
        string type = method.ContainingType.ToDisplayString(FullName).Replace('<', '{').Replace('>', '}');
        string parameters = string.Join(", ", method.Parameters.Select(p => p.Type.ToDisplayString(FullName)));
        return $"{type}.{method.Name}({parameters})";
    }

    private static bool IsPartial(INamedTypeSymbol type, CancellationToken cancellationToken) =>
        type.DeclaringSyntaxReferences.All(r =>
            r.GetSyntax(cancellationToken) is ClassDeclarationSyntax c && c.Modifiers.Any(SyntaxKind.PartialKeyword));

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

    private static bool IsNamed(ITypeSymbol? type, string metadataName) =>
        type is not null && type.ToDisplayString() == metadataName;

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
