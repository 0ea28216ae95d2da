using Composer.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Checkpoints;

/// <summary>A checkpoint read and checked by <see cref="Checkpoint.Read"/>, not yet applied to a trainer.</summary>
public sealed class CheckpointContents
{
    private readonly Checkpoint.Manifest _manifest;
    private readonly IReadOnlyDictionary<string, byte[]> _entries;

    internal CheckpointContents(string path, Checkpoint.Manifest manifest, IReadOnlyDictionary<string, byte[]> entries)
    {
        Path = path;
        _manifest = manifest;
        _entries = entries;
    }

    /// <summary>The file it was read from.</summary>
    public string Path { get; }

    /// <summary>True when it holds the model's weights only.</summary>
    public bool WeightsOnly => _manifest.WeightsOnly;

    /// <summary>Where training was when it was saved; null for weights only.</summary>
    public Timestamp? Timestamp => _manifest.Timestamp;

    /// <summary>The name of the run that saved it.</summary>
    public string? RunName => _manifest.RunName;

    /// <summary>The seed of the run that saved it; null for weights only.</summary>
    public int? Seed => _manifest.Seed;

    /// <summary>The keys of the members whose state it holds.</summary>
    public IReadOnlyList<string> MemberKeys => _manifest.Members?.Select(m => m.Key).ToArray() ?? [];

    internal long? DataloaderSeed => _manifest.DataloaderSeed;

    /// <summary>Loads the weights into <paramref name="model"/>, except those named in <paramref name="skip"/>.</summary>
    /// <exception cref="CheckpointException">The weights do not fit the model.</exception>
    public void LoadModel(nn.Module model, bool strict = true, IList<string>? skip = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        try
        {
            using var reader = Reader("model.bin");
            using var contiguous = ContiguousScope.Of(model);
            model.load(reader, strict, skip);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or EndOfStreamException)
        {
            throw new CheckpointException(Path,
                $"its weights ({_manifest.ModelType}) do not fit the model {model.GetType().FullName}: {e.Message}" +
                (strict ? " Set LoadStrictModelWeights = false to load the parameters that match." : ""), e);
        }
    }

    internal void LoadOptimizer(optim.Optimizer optimizer, int rank = 0)
    {
        // A sharded run's ranks each saved their own optimizer; otherwise every rank loads rank 0's (they are equal).
        string entry = _entries.ContainsKey(Checkpoint.OptimizerEntryOf(rank)) ? Checkpoint.OptimizerEntryOf(rank) : "optimizer.bin";
        if (optimizer is not OptimizerHelper helper)
            throw new CheckpointException(Path, $"the optimizer {optimizer.GetType().Name} cannot load a saved state; use one of TorchSharp's optimizers, or LoadWeightsOnly.");
        try
        {
            using var reader = Reader(entry);
            using var contiguous = ContiguousScope.Of(null, helper);
            helper.load_state_dict(reader);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or EndOfStreamException or InvalidCastException)
        {
            throw new CheckpointException(Path, $"its optimizer state does not fit {optimizer.GetType().Name} ({e.Message}); create the same optimizer as the saved run, or set LoadWeightsOnly.", e);
        }
    }

    /// <summary>How many processes trained the run that saved it (1 for a single process).</summary>
    public int WorldSize => _manifest.WorldSize ?? 1;

    internal Tensor RngState(int rank)
    {
        using var reader = Reader(Checkpoint.RngEntryOf(rank));
        return TensorExtensionMethods.Load(reader).DetachFromDisposeScope();
    }

    internal StateDict? MemberState(string key)
    {
        Checkpoint.MemberState? saved = _manifest.Members?.FirstOrDefault(m => m.Key == key);
        if (saved is null) return null;
        var state = new StateDict(key);
        foreach ((string name, double value) in saved.Numbers) state.Set(name, value);
        foreach ((string name, string[] values) in saved.Strings) state.Set(name, values);
        foreach ((string name, Tensor tensor) in Checkpoint.ReadTensors(_entries[saved.TensorsEntry])) state.Set(name, tensor);
        return state;
    }

    private BinaryReader Reader(string entry) => new(new MemoryStream(_entries[entry], writable: false));
}
