using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Composer.Core;
using Microsoft.CodeAnalysis;

namespace Composer.Generators.Parsing;

/// <summary>
/// The runtime's types the parser compares against, looked up once per compilation (as System.Text.Json's
/// generator does) and compared as symbols, never by their display strings.
/// </summary>
internal sealed class KnownTypeSymbols
{
    public const string TrainerAttributeName = "Composer.TrainerAttribute";

    private static readonly ConditionalWeakTable<Compilation, KnownTypeSymbols> Cache = new();

    private KnownTypeSymbols(Compilation compilation)
    {
        TrainerAttribute = Find(compilation, TrainerAttributeName);
        OnEventAttribute = Find(compilation, typeof(OnEventAttribute).FullName!);
        RewritesAttribute = Find(compilation, typeof(RewritesAttribute).FullName!);
        IncompatibleWithAttribute = Find(compilation, typeof(IncompatibleWithAttribute).FullName!);
        State = Find(compilation, "Composer.Core.State");
        Logger = Find(compilation, "Composer.Loggers.Logger");
        Algorithm = Find(compilation, "Composer.Core.Algorithm");
        Callback = Find(compilation, "Composer.Core.Callback");
        LoggerDestination = Find(compilation, "Composer.Loggers.LoggerDestination");
        TrainerBase = Find(compilation, "Composer.Trainer");
        TimeStringAttribute = Find(compilation, typeof(TimeStringAttribute).FullName!);
        Time = Find(compilation, "Composer.Core.Time");
    }

    // The runtime's type. A project that also references the generator's own assembly (a benchmark of the generator)
    // sees the generator's internal copies of the shared types as well; the public one is the runtime's.
    private static INamedTypeSymbol? Find(Compilation compilation, string metadataName)
    {
        ImmutableArray<INamedTypeSymbol> types = compilation.GetTypesByMetadataName(metadataName);
        return types.Length == 1 ? types[0] : types.FirstOrDefault(t => t.DeclaredAccessibility == Accessibility.Public);
    }

    /// <summary>The symbols of <paramref name="compilation"/>, computed on first use.</summary>
    public static KnownTypeSymbols For(Compilation compilation) => Cache.GetValue(compilation, c => new KnownTypeSymbols(c));

    public INamedTypeSymbol? TrainerAttribute { get; }
    public INamedTypeSymbol? OnEventAttribute { get; }
    public INamedTypeSymbol? RewritesAttribute { get; }
    public INamedTypeSymbol? IncompatibleWithAttribute { get; }
    public INamedTypeSymbol? State { get; }
    public INamedTypeSymbol? Logger { get; }
    public INamedTypeSymbol? Algorithm { get; }
    public INamedTypeSymbol? Callback { get; }
    public INamedTypeSymbol? LoggerDestination { get; }
    public INamedTypeSymbol? TrainerBase { get; }
    public INamedTypeSymbol? TimeStringAttribute { get; }
    public INamedTypeSymbol? Time { get; }

    /// <summary>True when the compilation references the runtime (the attributes exist).</summary>
    public bool HasRuntime => OnEventAttribute is not null;

    public static bool Is(ITypeSymbol? type, INamedTypeSymbol? known) =>
        type is not null && known is not null && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, known);
}
