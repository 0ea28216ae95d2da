using BenchmarkDotNet.Attributes;
using Composer.Core;
using Composer.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Benchmarks.Dispatch;

/// <summary>
/// How the generated Trainer's cost per batch grows with its members: 1, 10 and 50 algorithms on five events each,
/// around the one-weight model, against a hand-written loop making the same calls (in loops over the members).
/// </summary>
[MemoryDiagnoser]
public class MemberScalingBenchmarks
{
    private TensorDataset _data = null!;
    private DataLoader _loader = null!;
    private Trainer _generated = null!;
    private CountingAlgorithm[] _algorithms = null!;
    private State _state = null!;
    private TinyModel _model = null!;
    private optim.Optimizer _optimizer = null!;

    /// <summary>Algorithms in the trainer.</summary>
    [Params(1, 10, 50)]
    public int Members { get; set; }

    /// <summary>Builds the trainer of <see cref="Members"/> algorithms and the hand-written loop's state.</summary>
    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(1);
        _data = new TensorDataset(ones(DispatchBenchmarks.BatchesPerEpoch, 1), zeros(DispatchBenchmarks.BatchesPerEpoch, 1));
        _loader = new DataLoader(_data, batchSize: 1);
        _generated = Create();
        Trainer forState = Create();
        _state = forState.State;
        _model = (TinyModel)_state.Model;
        _optimizer = _state.Optimizer;
        _algorithms = Enumerable.Range(0, Members)
            .Select(i => (CountingAlgorithm)Activator.CreateInstance(typeof(CountingAlgorithm).Assembly.GetType($"Composer.Benchmarks.Dispatch.Counting{i}")!)!)
            .ToArray();
    }

    private Trainer Create()
    {
        var model = new TinyModel();
        var options = new TrainerOptions
        {
            Model = model, TrainDataloader = _loader, MaxDuration = Time.FromEpochs(0),
            Optimizer = optim.SGD(model.parameters(), 1e-6), Seed = 1,
        };
        Type trainer = Members switch
        {
            1 => typeof(OneMemberTrainer),
            10 => typeof(DispatchTrainer),
            50 => typeof(FiftyMemberTrainer),
            _ => throw new ArgumentOutOfRangeException(nameof(Members)),
        };
        object[] arguments = Enumerable.Range(0, Members)
            .Select(i => Activator.CreateInstance(typeof(CountingAlgorithm).Assembly.GetType($"Composer.Benchmarks.Dispatch.Counting{i}")!)!)
            .Append(options).ToArray();
        return (Trainer)Activator.CreateInstance(trainer, arguments)!;
    }

    /// <summary>Frees the data.</summary>
    [GlobalCleanup]
    public void Cleanup() => _data.Dispose();

    /// <summary>The generated loop.</summary>
    [Benchmark(OperationsPerInvoke = DispatchBenchmarks.BatchesPerEpoch)]
    public void Generated()
    {
        _generated.State.MaxDuration = Time.FromEpochs(_generated.State.Timestamp.Epoch + 1);
        _generated.Fit();
    }

    /// <summary>The same calls by hand, in loops over the members (first in, last out after the backward pass).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = DispatchBenchmarks.BatchesPerEpoch)]
    public void HandWritten()
    {
        State state = _state;
        CountingAlgorithm[] a = _algorithms;
        _model.train();
        using var epochScope = NewDisposeScope();
        using IEnumerator<Batch> batches = _loader.GetEnumerator();
        while (true)
        {
            using var batchScope = NewDisposeScope();
            if (!batches.MoveNext()) break;
            Batch batch = batches.Current;
            for (int i = 0; i < a.Length; i++) a[i].OnAfterDataloader(state);
            _optimizer.zero_grad();
            for (int i = 0; i < a.Length; i++) a[i].OnBeforeForward(state);
            Tensor outputs = _model.Forward(batch);
            for (int i = 0; i < a.Length; i++) a[i].OnBeforeLoss(state);
            Tensor loss = _model.Loss(outputs, batch);
            loss.backward();
            for (int i = a.Length - 1; i >= 0; i--) a[i].OnAfterBackward(state);
            _optimizer.step();
            for (int i = 0; i < a.Length; i++) a[i].OnBatchEnd(state);
        }
    }
}
