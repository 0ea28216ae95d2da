using Composer.Generators.Diagnostics;
using Composer.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Composer.Generators.Parsing;

/// <summary>Reads a class's [Checkpointed] fields into a <see cref="CheckpointedSpec"/>, reporting what cannot be stored.</summary>
internal static class CheckpointedParser
{
    private static readonly SymbolDisplayFormat FullName = SymbolDisplayFormat.FullyQualifiedFormat;

    public static CheckpointedResult Parse(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();
        Location location = type.Locations.FirstOrDefault() ?? Location.None;
        string? problem = type.ContainingType is not null ? "it must not be nested in another class"
            : type.IsGenericType ? "it must not be generic"
            : !TrainerParser.IsPartial(type, cancellationToken) ? "declare it partial"
            : type.Interfaces.Any(i => i.ToDisplayString() == "Composer.Core.IStateful") ? "it already implements IStateful; save the fields there, or remove IStateful"
            : null;
        if (problem is not null)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.CheckpointedTypeNotPartial, location, type.Name, problem));

        var fields = new List<CheckpointedField>();
        foreach (IFieldSymbol field in type.GetMembers().OfType<IFieldSymbol>())
        {
            if (!field.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "Composer.Core.CheckpointedAttribute")) continue;
            if (Stored(field.Type) is { } stored)
                fields.Add(new CheckpointedField(field.Name, stored.Kind, field.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(FullName), stored.Element));
            else
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedCheckpointedField,
                    field.Locations.FirstOrDefault() ?? location, field.Name, field.Type.ToDisplayString()));
        }
        string? ns = type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString();
        CheckpointedSpec? spec = diagnostics.Count == 0 && fields.Count > 0 ? new CheckpointedSpec(ns, type.Name, fields.ToEquatableArray()) : null;
        return new CheckpointedResult(spec, diagnostics.ToEquatableArray());
    }

    private static (StoredAs Kind, string Element)? Stored(ITypeSymbol type)
    {
        if (type.SpecialType == SpecialType.System_Boolean) return (StoredAs.Bool, "");
        if (IsNumber(type)) return (StoredAs.Number, "");
        if (type is INamedTypeSymbol { TypeKind: TypeKind.Enum, EnumUnderlyingType: { } underlying })
            return (StoredAs.Enum, underlying.ToDisplayString(FullName));
        if (type.SpecialType == SpecialType.System_String) return (StoredAs.String, "");
        if (IsTensor(type)) return (StoredAs.Tensor, "");
        if (type is IArrayTypeSymbol { Rank: 1, ElementType: var element })
        {
            if (element.SpecialType is SpecialType.System_Double or SpecialType.System_Single or SpecialType.System_Int32 or SpecialType.System_Int64)
                return (StoredAs.NumberArray, element.ToDisplayString(FullName));
            if (element.SpecialType == SpecialType.System_String) return (StoredAs.StringArray, "");
        }
        if (type is INamedTypeSymbol { IsGenericType: true } list && list.ConstructedFrom.ToDisplayString() == "System.Collections.Generic.List<T>"
            && IsTensor(list.TypeArguments[0]))
            return (StoredAs.TensorList, "");
        return null;
    }

    private static bool IsNumber(ITypeSymbol type) => type.SpecialType is SpecialType.System_Byte or SpecialType.System_SByte
        or SpecialType.System_Int16 or SpecialType.System_UInt16 or SpecialType.System_Int32 or SpecialType.System_UInt32
        or SpecialType.System_Int64 or SpecialType.System_UInt64 or SpecialType.System_Single or SpecialType.System_Double;

    private static bool IsTensor(ITypeSymbol type) => type.ToDisplayString().TrimEnd('?') == "TorchSharp.torch.Tensor";
}
