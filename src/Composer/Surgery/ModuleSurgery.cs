using System.Reflection;
using TorchSharp;
using Composer.Utils;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Surgery;

/// <summary>
/// Composer's <c>module_surgery</c> for TorchSharp models: finds modules in a model's tree and replaces them, then
/// keeps the optimizer in step with the model's new parameters.
/// </summary>
/// <remarks>
/// A TorchSharp module calls its children through its own fields, not through the registry <c>named_children()</c>
/// reads, so a replacement is written into every place that holds the child: the registry, a <c>Sequential</c>'s
/// list, and each field of the parent that refers to it. A field whose declared type cannot hold the replacement
/// (a field typed <c>Conv2d</c> receiving a <c>BlurConv2d</c>) is reported by name instead of leaving the model calling
/// the old module: declare such fields as <c>Module&lt;Tensor, Tensor&gt;</c>.
/// </remarks>
public static class ModuleSurgery
{
    private static readonly FieldInfo Registry = typeof(nn.Module).GetField("_internal_submodules", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new MissingFieldException("TorchSharp's Module has no _internal_submodules; module surgery needs TorchSharp 0.107.");
    private static readonly FieldInfo SequentialList = typeof(Sequential).GetField("_modules", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new MissingFieldException("TorchSharp's Sequential has no _modules; module surgery needs TorchSharp 0.107.");

    private static readonly MethodInfo CloneMethod = typeof(object).GetMethod("MemberwiseClone", BindingFlags.Instance | BindingFlags.NonPublic)!;

    /// <summary>One replacement: where in the model, what was there and what is there now.</summary>
    public sealed record Replacement(string Path, nn.Module Old, nn.Module New);

    /// <summary>
    /// Replaces every module for which <paramref name="policy"/> returns another module (Composer's
    /// <c>replace_module_classes</c>). The policy gets the module and its index among the modules of its type met so
    /// far, and returns null to leave it. The replacements are not searched again.
    /// </summary>
    /// <param name="model">The model, changed in place.</param>
    /// <param name="policy">The replacement for a module, or null.</param>
    /// <param name="optimizer">When given, updated as <see cref="UpdateParametersInOptimizer"/> does.</param>
    /// <returns>What was replaced, in the order the tree was walked.</returns>
    public static IReadOnlyList<Replacement> ReplaceModules(nn.Module model, Func<nn.Module, int, nn.Module?> policy, optim.Optimizer? optimizer = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(policy);
        Parameter[] before = model.parameters().ToArray();
        var replaced = new List<Replacement>();
        var indices = new Dictionary<Type, int>();
        Walk(model, "", policy, indices, replaced);
        if (optimizer is not null && replaced.Count > 0)
            UpdateParametersInOptimizer(before, model.parameters().ToArray(), optimizer);
        return replaced;
    }

    /// <summary>How many modules of type <typeparamref name="T"/> (or derived) the model holds (Composer's <c>count_module_instances</c>).</summary>
    public static int Count<T>(nn.Module model) where T : nn.Module =>
        model.modules().Distinct(ReferenceEqualityComparer.Instance).Count(m => m is T);

    /// <summary>
    /// Takes the parameters the model no longer has out of the optimizer (and their state) and adds the new ones, as
    /// Composer's <c>update_params_in_optimizer</c>. TorchSharp keeps each parameter's state from when its group was
    /// added, so the new parameters join as a group of their own, with the options of the group they replace.
    /// </summary>
    public static void UpdateParametersInOptimizer(IEnumerable<Parameter> oldParameters, IEnumerable<Parameter> newParameters, optim.Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        // Parameters are told apart by their data's address, whichever wrapper a list holds.
        var oldIds = oldParameters.Select(TensorIdentity.Of).ToHashSet();
        var currentIds = newParameters.Select(TensorIdentity.Of).ToHashSet();
        var removed = oldIds.Where(id => !currentIds.Contains(id)).ToHashSet();
        var added = newParameters.DistinctBy(TensorIdentity.Of).Where(p => !oldIds.Contains(TensorIdentity.Of(p))).ToArray();
        if (removed.Count == 0 && added.Length == 0) return;
        ParamGroup[] groups = optimizer.ParamGroups.OfType<ParamGroup>().ToArray();
        if (groups.Length == 0)
            throw new NotSupportedException($"The optimizer {optimizer.GetType().Name} has no parameter groups to update; use one of TorchSharp's optimizers.");
        // A group made from model.parameters() may enumerate the model again, and so already list the new
        // parameters, without optimizer state for them: each group is pinned to its surviving parameters, and the
        // new ones join as a group of their own, which the optimizer initializes.
        var addedIds = added.Select(TensorIdentity.Of).ToHashSet();
        ParamGroup template = groups.FirstOrDefault(g => g.Parameters.Any(p => removed.Contains(TensorIdentity.Of(p)))) ?? groups[0];
        foreach (ParamGroup existing in groups)
            existing.Parameters = existing.Parameters.Where(p => !removed.Contains(TensorIdentity.Of(p)) && !addedIds.Contains(TensorIdentity.Of(p))).ToArray();
        if (added.Length == 0) return;
        // A copy of the options: shared, a schedule setting one group's rate would set the other's too.
        object options = CloneMethod.Invoke(template.Options, null)!;
        var group = (ParamGroup?)Activator.CreateInstance(template.GetType(), new object?[] { added, options })
            ?? throw new NotSupportedException($"Cannot create a parameter group of type {template.GetType().Name}.");
        optimizer.add_param_group(group);
    }

    private static void Walk(nn.Module parent, string path, Func<nn.Module, int, nn.Module?> policy, Dictionary<Type, int> indices, List<Replacement> replaced)
    {
        foreach ((string name, nn.Module child) in parent.named_children().ToArray())
        {
            string childPath = path.Length == 0 ? name : $"{path}.{name}";
            int index = indices.GetValueOrDefault(child.GetType());
            indices[child.GetType()] = index + 1;
            nn.Module? replacement = policy(child, index);
            if (replacement is null || ReferenceEquals(replacement, child))
            {
                Walk(child, childPath, policy, indices, replaced);
                continue;
            }
            Replace(parent, name, child, replacement);
            replaced.Add(new Replacement(childPath, child, replacement));
        }
    }

    private static void Replace(nn.Module parent, string name, nn.Module old, nn.Module replacement)
    {
        // Every field of the parent that refers to the old module, whatever its accessibility.
        for (Type? type = parent.GetType(); type is not null && type != typeof(nn.Module); type = type.BaseType)
        {
            foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (field.FieldType.IsValueType || !ReferenceEquals(field.GetValue(parent), old)) continue;
                if (!field.FieldType.IsInstanceOfType(replacement))
                    throw new NotSupportedException(
                        $"{parent.GetType().Name}.{field.Name} is declared as {field.FieldType.Name}, which cannot hold the replacement {replacement.GetType().Name}; " +
                        "declare it as Module<Tensor, Tensor> so that module surgery can replace it.");
                field.SetValue(parent, replacement);
            }
        }
        if (parent is Sequential && SequentialList.GetValue(parent) is System.Collections.IList list)
        {
            for (int i = 0; i < list.Count; i++)
                if (ReferenceEquals(list[i], old)) list[i] = replacement;
        }
        object registry = Registry.GetValue(parent)!;
        registry.GetType().GetProperty("Item", [typeof(string)])!.SetValue(registry, replacement, [name]);
    }
}
