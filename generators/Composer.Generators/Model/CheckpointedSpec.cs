namespace Composer.Generators.Model;

/// <summary>A class whose [Checkpointed] fields the generator saves and loads; values only, no symbols.</summary>
internal sealed record CheckpointedSpec(string? Namespace, string ClassName, EquatableArray<CheckpointedField> Fields)
{
    public string FullName => Namespace is null ? ClassName : $"{Namespace}.{ClassName}";

    public string HintName => FullName + ".Checkpointed.g.cs";
}

/// <summary>One field: its name, how it is stored, and the C# types the emitted code names.</summary>
/// <param name="Type">The field's type, fully qualified.</param>
/// <param name="Element">The element type of an array, or an enum's underlying type; empty otherwise.</param>
internal sealed record CheckpointedField(string Name, StoredAs Kind, string Type, string Element);

/// <summary>How a field goes into a <c>StateDict</c>.</summary>
internal enum StoredAs
{
    Number,
    Bool,
    Enum,
    String,
    Tensor,
    NumberArray,
    StringArray,
    TensorList,
}

/// <summary>A class read for [Checkpointed] fields: its spec when code can be written, and the problems found.</summary>
internal sealed record CheckpointedResult(CheckpointedSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);
