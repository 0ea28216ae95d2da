using BenchmarkDotNet.Attributes;
using Composer.Core;
using Composer.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Benchmarks.Dispatch;

/// <summary>
/// The cost of dispatch: ten algorithms on five events each around the cheapest possible model, trained
/// one epoch of <see cref="BatchesPerEpoch"/> batches per invocation, three ways. The hand-written loop is
/// the baseline; every figure is per batch.
/// </summary>
[MemoryDiagnoser]
public class DispatchBenchmarks
{
    /// <summary>Batches in each invocation.</summary>
    public const int BatchesPerEpoch = 256;

    private TensorDataset _data = null!;
    private DataLoader _loader = null!;
    private DispatchTrainer _generated = null!;
    private CountingAlgorithm[] _handWrittenAlgorithms = null!;
    private TinyModel _handWrittenModel = null!;
    private optim.Optimizer _handWrittenOptimizer = null!;
    private State _handWrittenState = null!;
    private DispatchTrainer _engineTrainer = null!;
    private RuntimeEngine _engine = null!;

    /// <summary>Builds the three loops over the same data.</summary>
    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(1);
        _data = new TensorDataset(ones(BatchesPerEpoch, 1), zeros(BatchesPerEpoch, 1));
        _loader = new DataLoader(_data, batchSize: 1);

        _generated = CreateTrainer();

        // The hand-written loop and the engine reuse a trainer only for its State, which the algorithms receive.
        DispatchTrainer forState = CreateTrainer();
        _handWrittenState = forState.State;
        _handWrittenModel = (TinyModel)forState.State.Model;
        _handWrittenOptimizer = forState.State.Optimizer;
        _handWrittenAlgorithms = [new Counting0(), new Counting1(), new Counting2(), new Counting3(), new Counting4(),
            new Counting5(), new Counting6(), new Counting7(), new Counting8(), new Counting9()];

        _engineTrainer = CreateTrainer();
        _engine = new RuntimeEngine(
            Enumerable.Range(0, 10).Select(_ => (RuntimeAlgorithm)new RuntimeCountingAlgorithm()).ToArray(),
            _engineTrainer.State,
            _engineTrainer.Logger);
    }

    private DispatchTrainer CreateTrainer()
    {
        var model = new TinyModel();
        return new DispatchTrainer(new Counting0(), new Counting1(), new Counting2(), new Counting3(), new Counting4(),
            new Counting5(), new Counting6(), new Counting7(), new Counting8(), new Counting9(),
            new TrainerOptions
            {
                Model = model,
                TrainDataloader = _loader,
                MaxDuration = Time.FromEpochs(0),
                Optimizer = optim.SGD(model.parameters(), 1e-6),
                Seed = 1,
            });
    }

    /// <summary>Frees the data.</summary>
    [GlobalCleanup]
    public void Cleanup() => _data.Dispose();

    /// <summary>The loop the generator wrote.</summary>
    [Benchmark(OperationsPerInvoke = BatchesPerEpoch)]
    public void Generated()
    {
        _generated.State.MaxDuration = Time.FromEpochs(_generated.State.Timestamp.Epoch + 1);
        _generated.Fit();
    }

    /// <summary>The same calls, written out by hand with plain TorchSharp.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = BatchesPerEpoch)]
    public void HandWritten()
    {
        State state = _handWrittenState;
        CountingAlgorithm[] a = _handWrittenAlgorithms;
        _handWrittenModel.train();
        using var epochScope = NewDisposeScope();
        using IEnumerator<Batch> batches = _loader.GetEnumerator();
        while (true)
        {
            using var batchScope = NewDisposeScope();
            if (!batches.MoveNext()) break;
            Batch batch = batches.Current;
            a[0].OnAfterDataloader(state); a[1].OnAfterDataloader(state); a[2].OnAfterDataloader(state); a[3].OnAfterDataloader(state); a[4].OnAfterDataloader(state);
            a[5].OnAfterDataloader(state); a[6].OnAfterDataloader(state); a[7].OnAfterDataloader(state); a[8].OnAfterDataloader(state); a[9].OnAfterDataloader(state);
            _handWrittenOptimizer.zero_grad();
            a[0].OnBeforeForward(state); a[1].OnBeforeForward(state); a[2].OnBeforeForward(state); a[3].OnBeforeForward(state); a[4].OnBeforeForward(state);
            a[5].OnBeforeForward(state); a[6].OnBeforeForward(state); a[7].OnBeforeForward(state); a[8].OnBeforeForward(state); a[9].OnBeforeForward(state);
            Tensor outputs = _handWrittenModel.Forward(batch);
            a[0].OnBeforeLoss(state); a[1].OnBeforeLoss(state); a[2].OnBeforeLoss(state); a[3].OnBeforeLoss(state); a[4].OnBeforeLoss(state);
            a[5].OnBeforeLoss(state); a[6].OnBeforeLoss(state); a[7].OnBeforeLoss(state); a[8].OnBeforeLoss(state); a[9].OnBeforeLoss(state);
            Tensor loss = _handWrittenModel.Loss(outputs, batch);
            loss.backward();
            a[9].OnAfterBackward(state); a[8].OnAfterBackward(state); a[7].OnAfterBackward(state); a[6].OnAfterBackward(state); a[5].OnAfterBackward(state);
            a[4].OnAfterBackward(state); a[3].OnAfterBackward(state); a[2].OnAfterBackward(state); a[1].OnAfterBackward(state); a[0].OnAfterBackward(state);
            _handWrittenOptimizer.step();
            a[0].OnBatchEnd(state); a[1].OnBatchEnd(state); a[2].OnBatchEnd(state); a[3].OnBatchEnd(state); a[4].OnBatchEnd(state);
            a[5].OnBatchEnd(state); a[6].OnBatchEnd(state); a[7].OnBatchEnd(state); a[8].OnBatchEnd(state); a[9].OnBatchEnd(state);
        }
    }

    /// <summary>Composer's run-time dispatch: every event of the batch asks every algorithm whether it matches.</summary>
    [Benchmark(OperationsPerInvoke = BatchesPerEpoch)]
    public void RuntimeEngine()
    {
        RuntimeEngine engine = _engine;
        var model = (TinyModel)_engineTrainer.State.Model;
        optim.Optimizer optimizer = _engineTrainer.State.Optimizer;
        model.train();
        using var epochScope = NewDisposeScope();
        engine.Run(Event.EpochStart);
        using IEnumerator<Batch> batches = _loader.GetEnumerator();
        while (true)
        {
            using var batchScope = NewDisposeScope();
            engine.Run(Event.BeforeDataloader);
            if (!batches.MoveNext()) break;
            Batch batch = batches.Current;
            engine.Run(Event.AfterDataloader);
            engine.Run(Event.BatchStart);
            optimizer.zero_grad();
            engine.Run(Event.BeforeTrainBatch);
            engine.Run(Event.BeforeForward);
            Tensor outputs = model.Forward(batch);
            engine.Run(Event.AfterForward);
            engine.Run(Event.BeforeLoss);
            Tensor loss = model.Loss(outputs, batch);
            engine.Run(Event.AfterLoss);
            engine.Run(Event.BeforeBackward);
            loss.backward();
            engine.Run(Event.AfterBackward);
            engine.Run(Event.AfterTrainBatch);
            optimizer.step();
            engine.Run(Event.BatchEnd);
            engine.Run(Event.BatchCheckpoint);
        }
        engine.Run(Event.EpochEnd);
        engine.Run(Event.EpochCheckpoint);
    }
}
