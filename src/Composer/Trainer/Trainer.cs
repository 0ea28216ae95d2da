using System.Diagnostics;
using Composer.Callbacks;
using Composer.Checkpoints;
using Composer.Core;
using Composer.Data;
using Composer.Loggers;
using Composer.Metrics;
using Composer.Utils;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Composer;

/// <summary>
/// The base of every generated Trainer. It holds the <see cref="Core.State"/> and the steps of the loop
/// that do not depend on the algorithms (taking batches, stepping the optimizer, advancing time, deciding
/// when to evaluate); the generated <c>Fit()</c> and <c>Eval()</c> put those steps and the members'
/// event methods in Composer's order.
/// </summary>
/// <remarks>
/// Declare a trainer with <see cref="TrainerAttribute"/> on a partial class; do not derive from this class
/// by hand. The protected members are the vocabulary the generated loop is written in.
/// </remarks>
public abstract class Trainer
{
    private readonly bool _computeTrainingMetrics;
    private readonly bool _stepSchedulersEveryBatch;
    private readonly Time _evalInterval;
    private readonly Stopwatch _batchClock = new();
    private long _batchSamples;
    private long _lastEvaluatedBatch = -1;
    private readonly IntervalCounter _evalClock;
    private bool _trainingBeforeEval;
    private readonly double[] _initialLearningRates;
    private readonly int? _microbatchSize;
    private readonly long _logInterval;
    private readonly Func<State, Event, bool>? _evalPredicate;
    private Batch? _fullBatch;
    private Batch[] _microbatches = [];
    private Tensor? _lossSum;
    private bool _trainingBeforePredict;
    private readonly string? _loadPath;
    private readonly bool _loadWeightsOnly;
    private readonly bool _loadStrictModelWeights;
    private readonly bool _autoresume;
    private Tensor? _pendingRngState;

    /// <summary>Builds the state from <paramref name="options"/>; the generated constructor then raises <see cref="Event.Init"/>.</summary>
    /// <param name="options">What to train and for how long.</param>
    /// <param name="members">The algorithms and callbacks (logger destinations included), in declaration order.</param>
    protected Trainer(TrainerOptions options, IReadOnlyList<object> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Model, nameof(options.Model));
        ArgumentNullException.ThrowIfNull(options.TrainDataloader, nameof(options.TrainDataloader));
        if (options.EvalDataloader is not null && options.Evaluators is not null)
            throw new ArgumentException("Set either EvalDataloader or Evaluators, not both.", nameof(options));

        Device modelDevice = ModelDevice(options.Model);
        Device device = options.Device ?? modelDevice;
        if (!modelDevice.IsSameAs(device))
        {
            if (options.Optimizer is not null)
                throw new ArgumentException(
                    $"The model is on {modelDevice} but the trainer runs on {device}. Move the model first (model.to({device})) and create the optimizer after that, since moving replaces the parameters.",
                    nameof(options));
            options.Model.to(device);
        }

        _evalInterval = options.EvalInterval ?? Time.FromEpochs(1);
        _evalClock = new IntervalCounter(_evalInterval);
        _evalPredicate = options.EvalPredicate;
        if (options.DeviceTrainMicrobatchSize is < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.DeviceTrainMicrobatchSize, "DeviceTrainMicrobatchSize must be at least 1 (or null for the whole batch).");
        _microbatchSize = options.DeviceTrainMicrobatchSize;
        if (options.LogInterval < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.LogInterval, "LogInterval is a number of batches, at least 1.");
        _logInterval = options.LogInterval;
        _computeTrainingMetrics = options.ComputeTrainingMetrics;
        _stepSchedulersEveryBatch = options.StepSchedulersEveryBatch;

        int seed = options.Seed ?? Random.Shared.Next();
        options.TrainDataloader.UseSeedIfUnset(seed);
        string runName = options.RunName ?? $"run-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
        IReadOnlyList<Evaluator> evaluators = options.Evaluators
            ?? (options.EvalDataloader is null ? [] : [new Evaluator("eval", options.EvalDataloader)]);
        if (evaluators.Select(e => e.Label).Distinct(StringComparer.Ordinal).Count() != evaluators.Count)
            throw new ArgumentException("Evaluator labels must be unique.", nameof(options));

        double ratio = options.ScaleScheduleRatio;
        if (!(ratio > 0) || double.IsInfinity(ratio))
            throw new ArgumentOutOfRangeException(nameof(options), ratio, "ScaleScheduleRatio must be a positive number.");
        if (ratio != 1.0 && options.Schedulers is not { Count: > 0 })
            throw new ArgumentException("ScaleScheduleRatio stretches the learning-rate schedule, but no Schedulers are set; add one (for example new CosineAnnealingScheduler()) or leave the ratio at 1.", nameof(options));
        if (ratio != 1.0 && options.TorchSchedulers is { Count: > 0 })
            throw new ArgumentException("ScaleScheduleRatio cannot stretch TorchSharp's schedulers; use the Composer schedulers in Composer.Optim instead.", nameof(options));
        Time maxDuration = ratio == 1.0 ? options.MaxDuration : new Time(Math.Floor(options.MaxDuration.Value * ratio), options.MaxDuration.Unit);

        optim.Optimizer optimizer = options.Optimizer ?? optim.SGD(options.Model.parameters(), 0.1);
        _initialLearningRates = optimizer.ParamGroups.Select(g => g.LearningRate).ToArray();
        State = new State(
            options.Model,
            optimizer,
            options.Schedulers ?? [],
            options.TorchSchedulers ?? [],
            ratio,
            options.TrainDataloader,
            evaluators,
            maxDuration,
            device,
            seed,
            runName);

        foreach (Evaluator evaluator in evaluators)
            evaluator.Metrics ??= options.Model.CreateMetrics(isTrain: false);
        State.EvalMetrics = evaluators.ToDictionary(e => e.Label, e => e.Metrics!, StringComparer.Ordinal);
        State.TrainMetrics = options.Model.CreateMetrics(isTrain: true);
        // Null members are left to the generated constructor, which names the parameter.
        object[] present = members.Where(m => m is not null).ToArray();
        State.SetMembers(present);
        Logger = new Logger(State, present.OfType<LoggerDestination>().ToArray());

        _loadPath = options.LoadPath;
        _loadWeightsOnly = options.LoadWeightsOnly;
        _loadStrictModelWeights = options.LoadStrictModelWeights;
        _autoresume = options.Autoresume;
    }

    /// <summary>What algorithms and callbacks see and change.</summary>
    public State State { get; }

    /// <summary>The facade members log through.</summary>
    public Logger Logger { get; }

    /// <summary>The calls at each event in the order they run, as the generated file's header lists them.</summary>
    public abstract IReadOnlyList<ScheduledCall> Schedule { get; }

    /// <summary>
    /// The schedule as a table, one line per event that has calls: <c>BeforeLoss  LabelSmoothing.SmoothTargets</c>.
    /// </summary>
    public string DescribeSchedule()
    {
        var events = Schedule.GroupBy(c => c.Event).OrderBy(g => g.Key).ToList();
        if (events.Count == 0) return "No member subscribes to any event." + Environment.NewLine;
        int width = events.Max(g => g.Key.ToString().Length);
        var table = new System.Text.StringBuilder();
        foreach (var calls in events)
            table.Append(calls.Key.ToString().PadRight(width)).Append("  ").AppendJoin(", ", calls).AppendLine();
        return table.ToString();
    }

    /// <summary>Trains until <see cref="State.MaxDuration"/>, evaluating at the configured interval.</summary>
    public abstract void Fit();

    /// <summary>Runs every evaluator once, outside training.</summary>
    public abstract void Eval();

    /// <summary>
    /// Runs the model in eval mode, without gradients, on every batch of <paramref name="dataloader"/>,
    /// raising the Predict events (Composer's <c>Trainer.predict</c>).
    /// </summary>
    /// <param name="dataloader">The batches to predict.</param>
    /// <param name="returnOutputs">Whether to collect the outputs.</param>
    /// <returns>Each batch's outputs, detached and on the CPU; the caller owns (and disposes) them.</returns>
    public abstract List<Tensor> Predict(DataLoader dataloader, bool returnOutputs = true);

    /// <summary>Throws a clear error when <c>Eval()</c> has nothing to evaluate.</summary>
    protected void RequireEvaluators()
    {
        if (State.Evaluators.Count == 0)
            throw new InvalidOperationException("Eval() needs data to evaluate: set EvalDataloader or Evaluators in the TrainerOptions.");
    }

    /// <summary>Seeds the random state after the load events, as Composer does at the end of construction.</summary>
    protected void SeedAll() => Reproducibility.SeedAll(State.Seed);

    /// <summary>
    /// Between <see cref="Event.BeforeLoad"/> and <see cref="Event.AfterLoad"/>: loads the latest checkpoint of the
    /// <see cref="CheckpointSaver"/> when <see cref="TrainerOptions.Autoresume"/> finds one, else
    /// <see cref="TrainerOptions.LoadPath"/>. The whole file is checked before anything changes.
    /// </summary>
    /// <exception cref="CheckpointException">The checkpoint is unreadable or does not fit this trainer.</exception>
    protected void LoadCheckpoint()
    {
        string? path = CheckpointToLoad();
        if (path is null) return;
        CheckpointContents checkpoint = Checkpoint.Read(path);
        bool weightsOnly = checkpoint.WeightsOnly || _loadWeightsOnly;
        var memberStates = new List<(IStateful Member, StateDict State)>();
        if (!weightsOnly)
        {
            foreach ((string key, IStateful member) in State.StatefulMembers)
            {
                StateDict saved = checkpoint.MemberState(key) ?? throw new CheckpointException(path,
                    $"it holds no state for the member {key}; it has: {string.Join(", ", checkpoint.MemberKeys)}. List the same members as the saved run, or set LoadWeightsOnly.");
                memberStates.Add((member, saved));
            }
        }

        checkpoint.LoadModel(State.Model, _loadStrictModelWeights);
        if (weightsOnly) return;
        Timestamp timestamp = checkpoint.Timestamp!.Value;
        // TorchSharp's schedulers keep their step count in protected fields: replay their steps on the fresh
        // optimizer, then load its saved state (which holds the same rates).
        long steps = _stepSchedulersEveryBatch ? timestamp.Batch : timestamp.Epoch;
        for (long i = 0; i < steps; i++)
            StepSchedulers();
        // Members first: one that changes the optimizer's parameters (LayerFreezing) must do so before its state loads.
        foreach ((IStateful member, StateDict saved) in memberStates)
            member.LoadState(saved);
        checkpoint.LoadOptimizer(State.Optimizer);
        State.Timestamp = timestamp;
        State.Seed = checkpoint.Seed ?? State.Seed;
        if (checkpoint.DataloaderSeed is { } dataSeed) State.TrainDataloader.RestoreSeed(dataSeed);
        _evalClock.Last = _evalClock.Count(State);
        // Restored when training resumes, after the seeding that follows AfterLoad (as Composer does).
        _pendingRngState = checkpoint.RngState();
    }

    private string? CheckpointToLoad()
    {
        if (_autoresume)
        {
            CheckpointSaver saver = State.Callbacks.OfType<CheckpointSaver>().FirstOrDefault()
                ?? throw new InvalidOperationException("Autoresume looks for the latest checkpoint in a CheckpointSaver's folder; add a CheckpointSaver member to the trainer.");
            if (saver.WeightsOnly)
                throw new InvalidOperationException("Autoresume needs full checkpoints, but the CheckpointSaver writes weights only; set weightsOnly: false.");
            if (saver.LatestCheckpoint(State) is { } latest) return latest;
        }
        return _loadPath;
    }

    /// <summary>Puts the model in training mode before <see cref="Event.FitStart"/>.</summary>
    protected void BeginFit()
    {
        if (_pendingRngState is not null)
        {
            torch.set_rng_state(_pendingRngState);
            _pendingRngState.Dispose();
            _pendingRngState = null;
        }
        State.Model.train();
        State.Dataloader = State.TrainDataloader;
        State.DataloaderLabel = "train";
    }

    /// <summary>True once the timestamp reaches the max duration (or training was stopped).</summary>
    protected bool IsDurationReached => State.Timestamp >= State.MaxDuration;

    /// <summary>True at the first batch of the first epoch of an iteration.</summary>
    protected bool IsIterationStart => State.Timestamp.EpochInIteration == 0 && State.Timestamp.BatchInEpoch == 0;

    /// <summary>True at the first batch of an epoch.</summary>
    protected bool IsEpochStart => State.Timestamp.BatchInEpoch == 0;

    /// <summary>The train batches of the current epoch, skipping those a resumed run has already trained on.</summary>
    protected IEnumerator<Batch> OpenTrainDataloader()
    {
        State.TrainDataloader.SetEpoch(State.Timestamp.Epoch);
        State.Dataloader = State.TrainDataloader;
        State.DataloaderLabel = "train";
        // Zero except in the first epoch of a run resumed mid-epoch; the order depends only on seed and epoch.
        return State.TrainDataloader.GetEnumerator(skip: State.Timestamp.BatchInEpoch);
    }

    /// <summary>
    /// Takes the next train batch onto the device as <see cref="State.Batch"/>; false when the epoch's data
    /// is exhausted. Call it inside the batch's dispose scope so the batch is freed with it.
    /// </summary>
    protected bool TryNextTrainBatch(IEnumerator<Batch> batches)
    {
        State.ClearStep();
        if (!batches.MoveNext()) return false;
        _batchClock.Restart();
        State.Batch = batches.Current.To(State.Device);
        // Counted before AfterDataloader, so algorithms that shrink the batch do not change the sample count.
        _batchSamples = State.Batch.Size;
        ApplySchedules();
        return true;
    }

    // Batch k trains with α(k): set from this batch's timestamp, not stepped after the last one.
    private void ApplySchedules()
    {
        if (State.Schedulers.Count == 0) return;
        double multiplier = 1.0;
        foreach (Optim.ComposerScheduler scheduler in State.Schedulers)
            multiplier *= scheduler.Multiplier(State, State.ScaleScheduleRatio);
        int i = 0;
        foreach (var group in State.Optimizer.ParamGroups)
            group.LearningRate = _initialLearningRates[i++] * multiplier;
    }

    /// <summary>Clears the gradients before the forward pass.</summary>
    protected void ZeroGrad() => State.Optimizer.zero_grad();

    /// <summary>
    /// Splits <see cref="State.Batch"/> into microbatches of <see cref="TrainerOptions.DeviceTrainMicrobatchSize"/>
    /// samples; returns how many (1 when the option is unset or the batch is no larger).
    /// </summary>
    protected int BeginMicrobatches()
    {
        _fullBatch = State.Batch;
        _lossSum = null;
        long size = _fullBatch.Size;
        if (_microbatchSize is not { } micro || micro >= size)
        {
            if (_microbatches.Length != 1) _microbatches = new Batch[1];
            _microbatches[0] = _fullBatch;
            return 1;
        }
        int count = (int)((size + micro - 1) / micro);
        if (_microbatches.Length != count) _microbatches = new Batch[count];
        for (int i = 0; i < count; i++)
        {
            long start = (long)i * micro;
            long length = Math.Min(micro, size - start);
            _microbatches[i] = new Batch(_fullBatch.Inputs.narrow(0, start, length), _fullBatch.Targets.narrow(0, start, length));
        }
        return count;
    }

    /// <summary>Makes microbatch <paramref name="index"/> the <see cref="State.Batch"/> for the forward to backward events.</summary>
    protected void SelectMicrobatch(int index) => State.Batch = _microbatches[index];

    /// <summary>
    /// Back-propagates the microbatch's loss scaled by its share of the batch (size / batch size), so the
    /// accumulated gradients equal the whole batch's for a mean-reduced loss.
    /// </summary>
    protected void BackwardMicrobatch()
    {
        if (_microbatches.Length == 1)
        {
            State.Loss.backward();
            return;
        }
        Tensor scaled = State.Loss * ((double)State.Batch.Size / _fullBatch!.Size);
        scaled.backward();
        Tensor part = scaled.detach();
        _lossSum = _lossSum is null ? part : _lossSum + part;
    }

    /// <summary>Restores the whole batch after the microbatches; <see cref="State.Loss"/> becomes the batch's loss.</summary>
    protected void EndMicrobatches()
    {
        State.Batch = _fullBatch!;
        if (_lossSum is not null) State.Loss = _lossSum;
        _fullBatch = null;
        _lossSum = null;
    }

    /// <summary>Adds the batch to the training metrics when they are computed.</summary>
    protected void UpdateTrainMetrics()
    {
        if (!_computeTrainingMetrics) return;
        foreach (Metric metric in State.TrainMetrics.Values)
            State.Model.UpdateMetric(State.Batch, State.Outputs.detach(), metric);
    }

    /// <summary>Steps the optimizer, and the schedulers when they step every batch.</summary>
    protected void StepOptimizer()
    {
        State.Optimizer.step();
        if (_stepSchedulersEveryBatch) StepSchedulers();
    }

    /// <summary>Moves the timestamp past the batch just trained.</summary>
    protected void AdvanceBatch()
    {
        _batchClock.Stop();
        // Kept as a tensor: read at the next flush, so logging the loss does not wait for the device.
        Logger.LogTensorMetrics("loss/train/total", State.Loss);
        State.Timestamp = State.Timestamp.ToNextBatch(_batchSamples, 0, _batchClock.Elapsed);
        if (State.Timestamp.Batch % _logInterval == 0) Logger.Flush();
    }

    /// <summary>Hands the last logged values to the destinations before <see cref="Event.FitEnd"/>.</summary>
    protected void EndFit() => Logger.Flush();

    /// <summary>True when the epoch's last batch has been trained.</summary>
    protected bool IsDataloaderExhausted => State.Timestamp.BatchInEpoch >= State.TrainDataloader.Count;

    /// <summary>Moves the timestamp to the next epoch, stepping per-epoch schedulers first as Composer does.</summary>
    protected void AdvanceEpoch()
    {
        Logger.Flush();
        if (!_stepSchedulersEveryBatch) StepSchedulers();
        State.Timestamp = State.Timestamp.ToNextEpoch();
    }

    private void StepSchedulers()
    {
        foreach (LRScheduler scheduler in State.TorchSchedulers)
            scheduler.step();
    }

    /// <summary>
    /// Whether the evaluators run after <paramref name="trigger"/> (<see cref="Event.BatchEnd"/>,
    /// <see cref="Event.EpochEnd"/> or <see cref="Event.FitEnd"/>), per the eval interval.
    /// </summary>
    protected bool IsEvalDue(Event trigger)
    {
        if (State.Evaluators.Count == 0) return false;
        if (_evalPredicate is not null)
        {
            bool asked = _evalPredicate(State, trigger);
            if (asked) _lastEvaluatedBatch = State.Timestamp.Batch;
            return asked;
        }
        if (_evalInterval.Value == 0) return false;
        bool due = trigger switch
        {
            Event.EpochEnd => _evalInterval.Unit == TimeUnit.Epoch && State.Timestamp.Epoch % _evalInterval.Count == 0,
            Event.BatchEnd => _evalInterval.Unit switch
            {
                TimeUnit.Batch => State.Timestamp.Batch % _evalInterval.Count == 0,
                TimeUnit.Sample or TimeUnit.Token or TimeUnit.Duration => _evalClock.Crossed(State),
                _ => false,
            },
            // The last evaluation of a run whose interval did not land on its end.
            Event.FitEnd => State.ElapsedDuration.Value >= 1 && _lastEvaluatedBatch != State.Timestamp.Batch,
            _ => false,
        };
        if (due) _lastEvaluatedBatch = State.Timestamp.Batch;
        return due;
    }

    /// <summary>Prepares one evaluator's loop: model in eval mode, its dataloader current, its metrics reset.</summary>
    protected IEnumerator<Batch> OpenEvalDataloader(Evaluator evaluator)
    {
        _trainingBeforeEval = State.Model.training;
        State.Model.eval();
        State.Dataloader = evaluator.Dataloader;
        State.DataloaderLabel = evaluator.Label;
        foreach (Metric metric in evaluator.Metrics!.Values)
            metric.Reset();
        return evaluator.Dataloader.GetEnumerator();
    }

    /// <summary>Takes the next evaluation batch onto the device; false when the evaluator's data is exhausted.</summary>
    protected bool TryNextEvalBatch(IEnumerator<Batch> batches)
    {
        State.ClearStep();
        if (!batches.MoveNext()) return false;
        State.Batch = batches.Current.To(State.Device);
        return true;
    }

    /// <summary>Adds the evaluation batch to the evaluator's metrics.</summary>
    protected void UpdateEvalMetrics(Evaluator evaluator)
    {
        foreach (Metric metric in evaluator.Metrics!.Values)
            State.Model.UpdateMetric(State.Batch, State.Outputs, metric);
    }

    /// <summary>Computes and logs the evaluator's metrics, before <see cref="Event.EvalEnd"/>.</summary>
    protected void ComputeEvalMetrics(Evaluator evaluator)
    {
        State.ClearStep();
        Logger.Flush();
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach ((string name, Metric metric) in evaluator.Metrics!)
            values[$"metrics/{evaluator.Label}/{name}"] = metric.Compute();
        Logger.LogMetrics(values);
    }

    /// <summary>Restores the training dataloader and the model's mode after <see cref="Event.EvalEnd"/>.</summary>
    protected void CloseEvalDataloader()
    {
        State.Dataloader = State.TrainDataloader;
        State.DataloaderLabel = "train";
        State.Model.train(_trainingBeforeEval);
    }

    /// <summary>Prepares a prediction loop: the model in eval mode and <paramref name="dataloader"/> current.</summary>
    protected IEnumerator<Batch> OpenPredictDataloader(DataLoader dataloader)
    {
        ArgumentNullException.ThrowIfNull(dataloader);
        _trainingBeforePredict = State.Model.training;
        State.Model.eval();
        State.Dataloader = dataloader;
        State.DataloaderLabel = "predict";
        return dataloader.GetEnumerator();
    }

    /// <summary>Takes the next batch to predict onto the device; false when the data is exhausted.</summary>
    protected bool TryNextPredictBatch(IEnumerator<Batch> batches) => TryNextEvalBatch(batches);

    /// <summary>The batch's outputs, detached, on the CPU, and outside the batch's dispose scope.</summary>
    protected Tensor KeepPrediction() => State.Outputs.detach().cpu().DetachFromDisposeScope();

    /// <summary>Restores the training dataloader and the model's mode after <see cref="Event.PredictEnd"/>.</summary>
    protected void ClosePredictDataloader()
    {
        State.ClearStep();
        State.Dataloader = State.TrainDataloader;
        State.DataloaderLabel = "train";
        State.Model.train(_trainingBeforePredict);
    }

    private static Device ModelDevice(nn.Module model)
    {
        foreach (var parameter in model.parameters())
            return parameter.device;
        return CPU;
    }
}
