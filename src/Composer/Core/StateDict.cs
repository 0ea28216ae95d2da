using static TorchSharp.torch;

namespace Composer.Core;

/// <summary>
/// The state of one checkpointed member: named tensors and named numbers and strings. The tensors are
/// copied to the CPU when saved and belong to the caller when loaded.
/// </summary>
public sealed class StateDict
{
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _numbers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string[]> _strings = new(StringComparer.Ordinal);

    /// <summary>Creates an empty state for <paramref name="owner"/>, named in errors.</summary>
    public StateDict(string owner) => Owner = owner;

    /// <summary>The member this state belongs to, as errors name it.</summary>
    public string Owner { get; }

    /// <summary>The tensors by name.</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors => _tensors;

    /// <summary>The numbers by name.</summary>
    public IReadOnlyDictionary<string, double> Numbers => _numbers;

    /// <summary>The string lists by name.</summary>
    public IReadOnlyDictionary<string, string[]> Strings => _strings;

    /// <summary>Keeps <paramref name="value"/> (a CPU copy when saving) under <paramref name="key"/>.</summary>
    public void Set(string key, Tensor value) => _tensors[key] = value;

    /// <summary>Keeps a number under <paramref name="key"/>; integers up to 2^53 round-trip exactly.</summary>
    public void Set(string key, double value) => _numbers[key] = value;

    /// <summary>Keeps a list of strings under <paramref name="key"/>.</summary>
    public void Set(string key, IEnumerable<string> values) => _strings[key] = values.ToArray();

    /// <summary>True when the state holds <paramref name="key"/> of any kind.</summary>
    public bool Contains(string key) => _tensors.ContainsKey(key) || _numbers.ContainsKey(key) || _strings.ContainsKey(key);

    /// <summary>The tensor under <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">The checkpoint has no such tensor.</exception>
    public Tensor GetTensor(string key) => _tensors.TryGetValue(key, out Tensor? value) ? value : throw Missing(key, "tensor");

    /// <summary>The number under <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">The checkpoint has no such number.</exception>
    public double GetNumber(string key) => _numbers.TryGetValue(key, out double value) ? value : throw Missing(key, "number");

    /// <summary>The strings under <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">The checkpoint has no such list.</exception>
    public IReadOnlyList<string> GetStrings(string key) => _strings.TryGetValue(key, out string[]? value) ? value : throw Missing(key, "string list");

    private KeyNotFoundException Missing(string key, string kind) => new(
        $"The checkpoint's state of {Owner} has no {kind} \"{key}\"; it has: {string.Join(", ", _tensors.Keys.Concat(_numbers.Keys).Concat(_strings.Keys))}. Was it saved with other members or another version?");
}
