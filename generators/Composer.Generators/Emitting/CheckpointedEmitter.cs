using Composer.Generators.Model;

namespace Composer.Generators.Emitting;

/// <summary>Writes a class's <c>IStateful</c> implementation from its [Checkpointed] fields.</summary>
internal static class CheckpointedEmitter
{
    private const string StateDict = "global::Composer.Core.StateDict";

    public static string Emit(CheckpointedSpec spec)
    {
        var w = new SourceWriter();
        w.FileStart($"The Composer generator wrote this from the [Checkpointed] fields of {spec.FullName}.", spec.Namespace);
        w.Line("/// <summary>Saves and loads the [Checkpointed] fields, so a resumed run continues with them.</summary>");
        w.Open($"partial class {spec.ClassName} : global::Composer.Core.IStateful");
        w.Line("/// <inheritdoc/>");
        w.Open($"void global::Composer.Core.IStateful.SaveState({StateDict} state)");
        foreach (CheckpointedField field in spec.Fields) Save(w, field);
        w.Close();
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Open($"void global::Composer.Core.IStateful.LoadState({StateDict} state)");
        foreach (CheckpointedField field in spec.Fields) Load(w, field);
        w.Close();
        w.Close();
        return w.ToString();
    }

    private static void Save(SourceWriter w, CheckpointedField f)
    {
        string key = $"\"{f.Name}\"";
        switch (f.Kind)
        {
            case StoredAs.Number:
                w.Line($"state.Set({key}, (double){f.Name});");
                break;
            case StoredAs.Bool:
                w.Line($"state.Set({key}, {f.Name} ? 1.0 : 0.0);");
                break;
            case StoredAs.Enum:
                w.Line($"state.Set({key}, (double)({f.Element}){f.Name});");
                break;
            case StoredAs.String:
                w.Line($"if ({f.Name} is not null) state.Set({key}, new[] {{ {f.Name} }});");
                break;
            case StoredAs.Tensor:
                // A field that is still null when the checkpoint is written is absent from it, and null after loading.
                w.Line($"if ({f.Name} is not null) state.Set({key}, {f.Name});");
                break;
            case StoredAs.NumberArray:
                w.Line($"if ({f.Name} is not null) state.Set({key}, global::TorchSharp.torch.tensor({f.Name}));");
                break;
            case StoredAs.StringArray:
                w.Line($"if ({f.Name} is not null) state.Set({key}, {f.Name});");
                break;
            case StoredAs.TensorList:
                w.Open($"if ({f.Name} is not null)");
                w.Line($"state.Set(\"{f.Name}.count\", {f.Name}.Count);");
                w.Line($"for (int i = 0; i < {f.Name}.Count; i++) state.Set($\"{f.Name}.{{i}}\", {f.Name}[i]);");
                w.Close();
                break;
        }
    }

    private static void Load(SourceWriter w, CheckpointedField f)
    {
        string key = $"\"{f.Name}\"";
        switch (f.Kind)
        {
            case StoredAs.Number:
                w.Line($"{f.Name} = ({f.Type})state.GetNumber({key});");
                break;
            case StoredAs.Bool:
                w.Line($"{f.Name} = state.GetNumber({key}) != 0;");
                break;
            case StoredAs.Enum:
                w.Line($"{f.Name} = ({f.Type})({f.Element})state.GetNumber({key});");
                break;
            case StoredAs.String:
                w.Line($"{f.Name} = state.Strings.TryGetValue({key}, out string[]? {f.Name}Saved) ? {f.Name}Saved[0] : null!;");
                break;
            case StoredAs.Tensor:
                // A copy of its own: the checkpoint's tensors are the loader's to free.
                w.Line($"{f.Name} = state.Tensors.TryGetValue({key}, out var {f.Name}Saved)");
                w.Line($"    ? {f.Name}Saved.clone().DetachFromDisposeScope()");
                w.Line("    : null!;");
                break;
            case StoredAs.NumberArray:
                w.Line($"{f.Name} = state.Tensors.TryGetValue({key}, out var {f.Name}Saved)");
                w.Line($"    ? {f.Name}Saved.to(global::TorchSharp.torch.CPU).data<{f.Element}>().ToArray()");
                w.Line("    : null!;");
                break;
            case StoredAs.StringArray:
                w.Line($"{f.Name} = state.Strings.TryGetValue({key}, out string[]? {f.Name}Saved) ? {f.Name}Saved : null!;");
                break;
            case StoredAs.TensorList:
                w.Open($"if (state.Numbers.TryGetValue(\"{f.Name}.count\", out double {f.Name}Count))");
                w.Line($"{f.Name} = new global::System.Collections.Generic.List<global::TorchSharp.torch.Tensor>();");
                w.Line($"for (int i = 0; i < (int){f.Name}Count; i++)");
                w.Line($"    {f.Name}.Add(state.GetTensor($\"{f.Name}.{{i}}\").clone().DetachFromDisposeScope());");
                w.Close();
                break;
        }
    }
}
