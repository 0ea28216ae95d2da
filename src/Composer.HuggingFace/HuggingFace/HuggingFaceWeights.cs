using System.Collections;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Composer.Models;

/// <summary>
/// What loading a Hugging Face checkpoint found, as <c>from_pretrained</c> reports it: weights the model has and the
/// checkpoint lacks (left newly initialized), weights the checkpoint has and the model does not use, and weights whose
/// shapes differ (left newly initialized).
/// </summary>
public sealed record LoadReport(IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected,
    IReadOnlyList<(string Name, long[] Checkpoint, long[] Model)> Mismatched)
{
    /// <summary>Whether every weight matched.</summary>
    public bool IsExact => Missing.Count == 0 && Unexpected.Count == 0 && Mismatched.Count == 0;

    /// <summary>Hugging Face's wording of the report.</summary>
    public override string ToString()
    {
        var lines = new List<string>();
        if (Unexpected.Count > 0)
            lines.Add($"Some weights of the model checkpoint were not used when initializing the model: [{string.Join(", ", Unexpected)}]");
        if (Missing.Count > 0)
            lines.Add($"Some weights of the model were not initialized from the model checkpoint and are newly initialized: [{string.Join(", ", Missing)}]");
        foreach ((string name, long[] checkpoint, long[] model) in Mismatched)
            lines.Add($"{name}: found shape [{string.Join(", ", checkpoint)}] in the checkpoint and [{string.Join(", ", model)}] in the model; newly initialized.");
        return lines.Count == 0 ? "All weights were loaded." : string.Join(Environment.NewLine, lines);
    }
}

/// <summary>
/// Loads and saves a module's weights in a Hugging Face folder: <c>model.safetensors</c> (preferred) or
/// <c>pytorch_model.bin</c> (PyTorch's pickle format), read and written with TorchSharp.PyBridge, so Python's
/// <c>from_pretrained</c> reads what is saved here and the other way round.
/// </summary>
public static class HuggingFaceWeights
{
    /// <summary>The weights file of a Hugging Face folder in safetensors format.</summary>
    public const string SafetensorsFile = "model.safetensors";

    /// <summary>The weights file of a Hugging Face folder in PyTorch's format.</summary>
    public const string PyTorchFile = "pytorch_model.bin";

    /// <summary>
    /// Copies the checkpoint's weights in <paramref name="folder"/> into <paramref name="module"/> by name. With
    /// <paramref name="baseModelPrefix"/> (<c>"bert"</c> for a task model), a checkpoint of the bare base model loads into
    /// the task model's base, as Hugging Face's <c>base_model_prefix</c> does.
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder holds neither weights file.</exception>
    /// <exception cref="InvalidDataException"><paramref name="strict"/> and the weights did not all match; the message is the report.</exception>
    public static LoadReport Load(nn.Module module, string folder, bool strict, string? baseModelPrefix)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var scope = NewDisposeScope();
        Dictionary<string, Tensor> checkpoint = Read(folder);
        Dictionary<string, Tensor> target = module.state_dict();
        Dictionary<string, Tensor> renamed = Rename(checkpoint, target.Keys, baseModelPrefix);

        var missing = target.Keys.Where(k => !renamed.ContainsKey(k)).ToList();
        // Hugging Face no longer saves the position ids buffer and ignores it in older checkpoints.
        var unexpected = renamed.Keys.Where(k => !target.ContainsKey(k) && !k.EndsWith("position_ids", StringComparison.Ordinal)).ToList();
        var mismatched = new List<(string, long[], long[])>();
        using (torch.no_grad())
        {
            foreach ((string name, Tensor value) in renamed)
            {
                if (!target.TryGetValue(name, out Tensor? destination)) continue;
                if (!value.shape.SequenceEqual(destination.shape))
                {
                    mismatched.Add((name, value.shape, destination.shape));
                    continue;
                }
                destination.copy_(value);
            }
        }
        var report = new LoadReport(missing, unexpected, mismatched);
        if (strict && !report.IsExact)
            throw new InvalidDataException($"The checkpoint in {folder} does not match the model (strict loading):{Environment.NewLine}{report}");
        return report;
    }

    /// <summary>Writes the module's weights as <c>model.safetensors</c> (or <c>pytorch_model.bin</c>) in <paramref name="folder"/>.</summary>
    public static void Save(nn.Module module, string folder, bool safetensors = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        Directory.CreateDirectory(folder);
        using var scope = NewDisposeScope();
        // Contiguous CPU copies: both formats store a tensor's bytes as they lie.
        Dictionary<string, Tensor> weights = module.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().cpu().contiguous());
        string path = Path.Combine(folder, safetensors ? SafetensorsFile : PyTorchFile);
        string temporary = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            if (safetensors) Safetensors.SaveStateDict(temporary, weights);
            else PyTorchPickler.PickleStateDict(temporary, weights);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>The checkpoint's tensors by name.</summary>
    public static Dictionary<string, Tensor> Read(string folder)
    {
        string safetensors = Path.Combine(folder, SafetensorsFile), pytorch = Path.Combine(folder, PyTorchFile);
        if (File.Exists(safetensors)) return Safetensors.LoadStateDict(safetensors);
        if (File.Exists(pytorch))
        {
            Hashtable table = PyTorchUnpickler.UnpickleStateDict(pytorch);
            return table.Cast<DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (Tensor)e.Value!, StringComparer.Ordinal);
        }
        string found = Directory.Exists(folder) ? string.Join(", ", Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName)) : "the folder does not exist";
        throw new FileNotFoundException($"{folder} holds neither {SafetensorsFile} nor {PyTorchFile} (found: {found}).", safetensors);
    }

    // Hugging Face's renames: old LayerNorm names, and adding or removing the base model's prefix.
    private static Dictionary<string, Tensor> Rename(Dictionary<string, Tensor> checkpoint, ICollection<string> modelKeys, string? prefix)
    {
        static string Modern(string key) => key.Replace("LayerNorm.gamma", "LayerNorm.weight").Replace("LayerNorm.beta", "LayerNorm.bias");
        var renamed = checkpoint.ToDictionary(p => Modern(p.Key), p => p.Value, StringComparer.Ordinal);
        if (prefix is null)
        {
            // A task model's checkpoint ("bert.encoder...") into the bare model ("encoder..."): keep the base's weights.
            const string Bert = "bert.";
            if (!modelKeys.Any(k => k.StartsWith(Bert, StringComparison.Ordinal)) && renamed.Keys.Any(k => k.StartsWith(Bert, StringComparison.Ordinal)))
                return renamed.ToDictionary(p => p.Key.StartsWith(Bert, StringComparison.Ordinal) ? p.Key[Bert.Length..] : p.Key, p => p.Value, StringComparer.Ordinal);
            return renamed;
        }
        string dotted = prefix + ".";
        bool modelHasPrefix = modelKeys.Any(k => k.StartsWith(dotted, StringComparison.Ordinal));
        bool checkpointHasPrefix = renamed.Keys.Any(k => k.StartsWith(dotted, StringComparison.Ordinal));
        // The bare base model's checkpoint ("encoder...") into a task model ("bert.encoder..."), as from_pretrained does.
        if (modelHasPrefix && !checkpointHasPrefix)
            return renamed.ToDictionary(p => dotted + p.Key, p => p.Value, StringComparer.Ordinal);
        return renamed;
    }
}
