using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Composer.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Checkpoints;

/// <summary>
/// The checkpoint file, Composer's <c>{'state': state.state_dict(), 'rng': ...}</c> in a form .NET reads
/// without pickle: a zip archive whose <c>composer-checkpoint.json</c> holds the timestamp, seeds, the
/// members' numbers and a SHA-256 of every other entry (the model, the optimizer, the RNG state and each
/// stateful member's tensors, in TorchSharp's tensor format). <c>unzip -l</c> lists what a checkpoint holds.
/// </summary>
public static class Checkpoint
{
    /// <summary>The name of the manifest entry.</summary>
    public const string ManifestEntry = "composer-checkpoint.json";

    private const string FormatName = "Composer.NET checkpoint";
    private const int FormatVersion = 1;
    private const string ModelEntry = "model.bin";
    private const string OptimizerEntry = "optimizer.bin";
    private const string RngEntry = "rng.bin";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>
    /// Writes the training state to <paramref name="stream"/>: the model, and unless <paramref name="weightsOnly"/>,
    /// the optimizer, timestamp, seeds, RNG state and every <see cref="IStateful"/> member.
    /// </summary>
    /// <param name="state">The training state.</param>
    /// <param name="stream">Where to write.</param>
    /// <param name="weightsOnly">Write the model only.</param>
    /// <param name="rankStates">Every rank's part, from <see cref="GatherRankStates"/>; this process's when null.</param>
    public static void Write(State state, Stream stream, bool weightsOnly = false, RankStates? rankStates = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        rankStates ??= weightsOnly ? null : new RankStates([CurrentRandomState()], null);
        using var contiguous = ContiguousScope.Of(state.Model, weightsOnly ? null : state.Optimizer);
        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            [ModelEntry] = Bytes(writer => state.Model.save(writer)),
        };
        var manifest = new Manifest
        {
            Format = FormatName,
            Version = FormatVersion,
            WeightsOnly = weightsOnly,
            RunName = state.RunName,
            ModelType = state.Model.GetType().FullName,
            Created = DateTime.UtcNow,
        };
        if (!weightsOnly)
        {
            if (state.Optimizer is not OptimizerHelper optimizer)
                throw new NotSupportedException(
                    $"The optimizer {state.Optimizer.GetType().Name} cannot save its state; use one of TorchSharp's optimizers in torch.optim, or a weights-only checkpoint.");
            // A sharded optimizer's state is each rank's own: optimizer.bin is rank 0's, optimizer-rank{r}.bin rank r's.
            IReadOnlyList<byte[]> optimizers = rankStates!.Optimizer ?? [Bytes(optimizer.save_state_dict)];
            for (int rank = 0; rank < optimizers.Count; rank++)
                entries[OptimizerEntryOf(rank)] = optimizers[rank];
            // Rank 0's is rng.bin, as in a single process; rank r's is rng-rank{r}.bin.
            for (int rank = 0; rank < rankStates.Random.Count; rank++)
                entries[RngEntryOf(rank)] = rankStates.Random[rank];
            manifest.WorldSize = rankStates.Random.Count;
            manifest.Timestamp = state.Timestamp;
            manifest.Seed = state.Seed;
            manifest.DataloaderSeed = state.TrainDataloader.Seed;
            manifest.Members = [];
            foreach ((string key, IStateful member) in state.StatefulMembers)
            {
                var dict = new StateDict(key);
                member.SaveState(dict);
                string entry = $"members/{key}.bin";
                entries[entry] = Bytes(writer => WriteTensors(writer, dict.Tensors));
                manifest.Members.Add(new MemberState
                {
                    Key = key,
                    TensorsEntry = entry,
                    Numbers = new(dict.Numbers, StringComparer.Ordinal),
                    Strings = dict.Strings.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
                });
            }
        }
        manifest.Entries = entries.ToDictionary(
            e => e.Key, e => new EntryCheck { Size = e.Value.LongLength, Sha256 = Convert.ToHexString(SHA256.HashData(e.Value)) },
            StringComparer.Ordinal);

        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        AddEntry(zip, ManifestEntry, JsonSerializer.SerializeToUtf8Bytes(manifest, Json));
        foreach ((string name, byte[] bytes) in entries)
            AddEntry(zip, name, bytes);
    }

    /// <summary>Writes a checkpoint of <paramref name="state"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(State state, string path, bool weightsOnly = false, RankStates? rankStates = null) =>
        AtomicFile.Write(path, stream => Write(state, stream, weightsOnly, rankStates));

    /// <summary>
    /// What every rank must contribute to a checkpoint, in rank order (a collective: every rank calls it): its torch
    /// random state, so a resumed run of as many processes continues each rank's own random sequence, and with a
    /// sharded optimizer its optimizer state, which differs per rank.
    /// </summary>
    public static RankStates GatherRankStates(State state, bool shardedOptimizer)
    {
        ArgumentNullException.ThrowIfNull(state);
        Distributed.ICommunicator communicator = state.Communicator;
        byte[] random = CurrentRandomState();
        byte[]? optimizer = shardedOptimizer && communicator.WorldSize > 1 ? OptimizerState(state) : null;
        return new RankStates(Gather(communicator, random), optimizer is null ? null : Gather(communicator, optimizer));
    }

    /// <summary>Every rank's part of a checkpoint, in rank order.</summary>
    /// <param name="Random">Each rank's torch random state.</param>
    /// <param name="Optimizer">Each rank's optimizer state, when each rank's optimizer steps its own parameters.</param>
    public sealed record RankStates(IReadOnlyList<byte[]> Random, IReadOnlyList<byte[]>? Optimizer);

    // Every rank's bytes, of any length: padded to the longest behind an 8-byte length, all-gathered, unpadded.
    private static byte[][] Gather(Distributed.ICommunicator communicator, byte[] mine)
    {
        if (communicator.WorldSize == 1) return [mine];
        using var longest = torch.tensor(new long[] { mine.Length });
        communicator.AllReduce(longest, Distributed.ReduceOperation.Max);
        int width = (int)longest.item<long>() + sizeof(long);
        byte[] padded = new byte[width];
        BitConverter.TryWriteBytes(padded, (long)mine.Length);
        mine.CopyTo(padded, sizeof(long));
        using var local = torch.tensor(padded);
        using var all = torch.zeros(width * communicator.WorldSize, ScalarType.Byte);
        communicator.AllGather(local, all);
        byte[] gathered = all.data<byte>().ToArray();
        return Enumerable.Range(0, communicator.WorldSize)
            .Select(r => gathered.AsSpan(r * width + sizeof(long), (int)BitConverter.ToInt64(gathered, r * width)).ToArray())
            .ToArray();
    }

    internal static string OptimizerEntryOf(int rank) => rank == 0 ? OptimizerEntry : $"optimizer-rank{rank}.bin";

    private static byte[] OptimizerState(State state)
    {
        if (state.Optimizer is not OptimizerHelper optimizer)
            throw new NotSupportedException($"The optimizer {state.Optimizer.GetType().Name} cannot save its state; use one of TorchSharp's optimizers in torch.optim.");
        using var contiguous = ContiguousScope.Of(null, optimizer);
        return Bytes(optimizer.save_state_dict);
    }

    internal static string RngEntryOf(int rank) => rank == 0 ? RngEntry : $"rng-rank{rank}.bin";

    private static byte[] CurrentRandomState() => Bytes(writer =>
    {
        using Tensor rng = torch.get_rng_state();
        rng.Save(writer);
    });

    /// <summary>
    /// Reads and checks the whole checkpoint at <paramref name="path"/> without changing anything.
    /// </summary>
    /// <exception cref="CheckpointException">The file is missing, truncated, damaged, foreign or from a newer version.</exception>
    public static CheckpointContents Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new CheckpointException(path, "there is no such file.");
        byte[] file = File.ReadAllBytes(path);
        if (file.Length < 4 || file[0] != (byte)'P' || file[1] != (byte)'K')
            throw new CheckpointException(path, "this is not a Composer.NET checkpoint (it is not a zip archive). Point LoadPath at a file a CheckpointSaver wrote.");
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(new MemoryStream(file, writable: false), ZipArchiveMode.Read);
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointException(path, $"the file is truncated or damaged ({file.Length:N0} bytes, {e.Message}). Load an earlier checkpoint.", e);
        }
        using (zip)
        {
            ZipArchiveEntry manifestEntry = zip.GetEntry(ManifestEntry)
                ?? throw new CheckpointException(path, $"this zip archive is not a Composer.NET checkpoint: it has no {ManifestEntry}.");
            Manifest manifest;
            try
            {
                manifest = JsonSerializer.Deserialize<Manifest>(ReadEntry(path, manifestEntry), Json)
                    ?? throw new JsonException("empty manifest");
            }
            catch (JsonException e)
            {
                throw new CheckpointException(path, $"its {ManifestEntry} is damaged ({e.Message}). Load an earlier checkpoint.", e);
            }
            if (manifest.Format != FormatName)
                throw new CheckpointException(path, $"its {ManifestEntry} is not a Composer.NET checkpoint manifest.");
            if (manifest.Version > FormatVersion)
                throw new CheckpointException(path, $"it was written in format {manifest.Version}, newer than this Composer.NET reads ({FormatVersion}); update Composer.NET.");

            var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach ((string name, EntryCheck check) in manifest.Entries ?? [])
            {
                ZipArchiveEntry entry = zip.GetEntry(name)
                    ?? throw new CheckpointException(path, $"the entry {name} is missing; the file is damaged.");
                byte[] bytes = ReadEntry(path, entry);
                if (bytes.LongLength != check.Size || Convert.ToHexString(SHA256.HashData(bytes)) != check.Sha256)
                    throw new CheckpointException(path, $"the entry {name} does not match its checksum; the file is damaged. Load an earlier checkpoint.");
                entries[name] = bytes;
            }
            if (!entries.ContainsKey(ModelEntry))
                throw new CheckpointException(path, "it holds no model weights.");
            if (!manifest.WeightsOnly && (!entries.ContainsKey(OptimizerEntry) || !entries.ContainsKey(RngEntry) || manifest.Timestamp is null))
                throw new CheckpointException(path, "it is not weights-only but lacks the optimizer, RNG state or timestamp; the file is damaged.");
            return new CheckpointContents(path, manifest, entries);
        }
    }

    internal static Dictionary<string, Tensor> ReadTensors(byte[] bytes)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes, writable: false));
        int count = reader.ReadInt32();
        var tensors = new Dictionary<string, Tensor>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            tensors[name] = TensorExtensionMethods.Load(reader).DetachFromDisposeScope();
        }
        return tensors;
    }

    private static void WriteTensors(BinaryWriter writer, IReadOnlyDictionary<string, Tensor> tensors)
    {
        writer.Write(tensors.Count);
        foreach ((string name, Tensor tensor) in tensors)
        {
            writer.Write(name);
            using Tensor cpu = tensor.detach().cpu().contiguous();
            cpu.Save(writer);
        }
    }

    private static byte[] Bytes(Action<BinaryWriter> write)
    {
        using var memory = new MemoryStream();
        using (var writer = new BinaryWriter(memory, System.Text.Encoding.UTF8, leaveOpen: true))
            write(writer);
        return memory.ToArray();
    }

    private static void AddEntry(ZipArchive zip, string name, byte[] bytes)
    {
        // Weights barely compress and checkpoints are written during training: store them as they are.
        ZipArchiveEntry entry = zip.CreateEntry(name, CompressionLevel.NoCompression);
        using Stream stream = entry.Open();
        stream.Write(bytes);
    }

    private static byte[] ReadEntry(string path, ZipArchiveEntry entry)
    {
        try
        {
            using Stream stream = entry.Open();
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            return memory.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointException(path, $"the entry {entry.FullName} cannot be read ({e.Message}); the file is damaged.", e);
        }
    }

    internal sealed class Manifest
    {
        public string? Format { get; set; }
        public int Version { get; set; }
        public bool WeightsOnly { get; set; }
        public string? RunName { get; set; }
        public string? ModelType { get; set; }
        public DateTime Created { get; set; }
        public Timestamp? Timestamp { get; set; }
        public int? Seed { get; set; }
        public long? DataloaderSeed { get; set; }
        public List<MemberState>? Members { get; set; }
        public int? WorldSize { get; set; }
        public Dictionary<string, EntryCheck>? Entries { get; set; }
    }

    internal sealed class MemberState
    {
        public string Key { get; set; } = "";
        public string TensorsEntry { get; set; } = "";
        public Dictionary<string, double> Numbers { get; set; } = [];
        public Dictionary<string, string[]> Strings { get; set; } = [];
    }

    internal sealed class EntryCheck
    {
        public long Size { get; set; }
        public string Sha256 { get; set; } = "";
    }
}
