using System.ComponentModel;
using System.Diagnostics;
using Composer.Checkpoints;
using Composer.Core;
using Composer.Data;
using Composer.Distributed;
using Composer.Loggers;
using Composer.Metrics;
using Composer.Optim;
using Composer.Utils;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer;

/// <summary>
/// The base of every generated Trainer: the <see cref="Core.State"/>, the parts the loop is made of (the learning-rate
/// schedule, the microbatches, the evaluation schedule) and the few steps that are not an event. The generated
/// <c>Fit()</c>, <c>Eval()</c> and <c>Predict()</c> write out every step of Composer's loop with the members' event
/// methods in between.
/// </summary>
/// <remarks>
/// Declare a trainer with <see cref="TrainerAttribute"/> on a partial class; do not derive from this class by hand.
/// The protected members are the vocabulary the generated loop is written in, hidden from IntelliSense.
/// </remarks>
public abstract class Trainer
{
    private readonly bool _computeTrainingMetrics;
    private readonly Func<State, Event, bool> _isEvalDue;
    private readonly ScalarType? _autocastDtype;
    private readonly Stopwatch _batchClock = new();
    private readonly Dictionary<string, double> _lastMetrics = new(StringComparer.Ordinal);
    private Tensor? _lastLoss;
    private Tensor? _resumedRngState;

    /// <summary>Builds the state from <paramref name="options"/>; the generated constructor then raises <see cref="Event.Init"/>.</summary>
    /// <param name="options">What to train and for how long.</param>
    /// <param name="members">The algorithms and callbacks (logger destinations included), in declaration order, none null.</param>
    protected Trainer(TrainerOptions options, IReadOnlyList<object> members)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(members);
        options.Validate();
        IReadOnlyList<object> given = OptionCallbacks.Check(options);
        RequireOneOfEachType([.. members, .. given]);

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

        ICommunicator communicator = options.Communicator ?? Communicator.World;
        // Every rank needs the same seed for the data order: rank 0's random choice is broadcast.
        int seed = options.Seed ?? AgreedRandomSeed(communicator);
        options.TrainDataloader.UseSeedIfUnset(seed);
        IReadOnlyList<Evaluator> evaluators = options.Evaluators
            ?? (options.EvalDataloader is null ? [] : [new Evaluator("eval", options.EvalDataloader)]);
        if (communicator.WorldSize > 1)
        {
            // Training shards are padded to equal length, so the ranks' per-batch collectives pair up; evaluation
            // shards see each sample once, so the metrics reduced over ranks are exact.
            options.TrainDataloader.Shard(communicator.Rank, communicator.WorldSize, padToEqual: true);
            foreach (Evaluator evaluator in evaluators)
                evaluator.Dataloader.Shard(communicator.Rank, communicator.WorldSize, padToEqual: false);
        }
        var parallel = new DataParallel(communicator, options.Model, options.ShardOptimizerState);
        optim.Optimizer optimizer = options.Optimizer
            ?? options.OptimizerFactory?.Invoke(parallel.OptimizedHere())
            ?? optim.SGD(options.Model.parameters(), 0.1);
        State = new State(
            options.Model,
            optimizer,
            options.Schedulers ?? [],
            options.TorchSchedulers ?? [],
            options.ScaleScheduleRatio,
            options.TrainDataloader,
            evaluators,
            options.ScaledMaxDuration,
            device,
            seed,
            options.RunName ?? $"run-{DateTime.UtcNow:yyyyMMdd-HHmmss}",
            communicator);
        foreach (Evaluator evaluator in evaluators)
            evaluator.Metrics ??= options.Model.CreateMetrics(isTrain: false);
        State.EvalMetrics = evaluators.ToDictionary(e => e.Label, e => e.Metrics!, StringComparer.Ordinal);
        State.TrainMetrics = options.Model.CreateMetrics(isTrain: true);
        // Float16 needs loss scaling, whose state is checkpointed with the members'.
        Scaler = new GradScaler(enabled: options.Precision == Precision.AmpFp16);
        State.SetMembers(Scaler.Enabled ? [.. members, .. given, Scaler] : [.. members, .. given]);
        State.Precision = options.Precision;
        _autocastDtype = options.Precision switch
        {
            Precision.AmpBf16 => ScalarType.BFloat16,
            Precision.AmpFp16 => ScalarType.Float16,
            _ => null,
        };
        // A libtorch without autocast is a clear error now, not a failure at the first batch.
        if (_autocastDtype is not null) Autocast.RequireSupport();
        Logger = new Logger(State, members.Concat(given).OfType<LoggerDestination>()
            .Where(d => communicator.Rank == 0 || !d.RankZeroOnly).ToArray());
        OptionCallbacks = new OptionCallbacks(State, Logger, given);
        if (options.LoadBestModelAtEnd)
        {
            var best = State.Callbacks.OfType<Callbacks.BestCheckpoints>().ToList();
            if (best.Count != 1)
                throw new ArgumentException(
                    $"LoadBestModelAtEnd loads the best checkpoint of the trainer's BestCheckpoints member, but it has {best.Count}; give one, for example Callbacks = [new BestCheckpoints(\"best\")].",
                    nameof(options));
            best[0].LoadBestAtEnd = true;
        }

        LearningRates = new LearningRateSchedule(optimizer, State.Schedulers, State.TorchSchedulers,
            options.StepSchedulersEveryBatch, options.ScaleScheduleRatio);
        Microbatches = new Microbatches(options.DeviceTrainMicrobatchSize, Scaler);
        Replicas = parallel;
        State.Replicas = parallel;
        // Composer's create_interval_scheduler(eval_interval, checkpoint_events=False, final_events={FIT_END}).
        EvalSchedule = new IntervalScheduler(options.EvalInterval ?? Time.FromEpochs(1), Event.EpochEnd, Event.BatchEnd, Event.FitEnd);
        // The user's predicate replaces the interval, as a callable eval_interval does in Composer.
        _isEvalDue = options.EvalPredicate ?? EvalSchedule.IsDue;
        LogInterval = options.LogInterval;
        _computeTrainingMetrics = options.ComputeTrainingMetrics;
        Loading = new CheckpointLoading(options.LoadPath, options.LoadWeightsOnly, options.LoadStrictModelWeights, options.Autoresume,
            options.LoadObjectStore, options.LoadCacheFolder);
    }

    /// <summary>What algorithms and callbacks see and change.</summary>
    public State State { get; }

    /// <summary>The facade members log through.</summary>
    public Logger Logger { get; }

    /// <summary>
    /// The calls at each event in the order they run: the compiled ones the generated file's header lists, with those of
    /// <see cref="TrainerOptions.Callbacks"/> and <see cref="TrainerOptions.Loggers"/> after them (before them at Init).
    /// </summary>
    public IReadOnlyList<ScheduledCall> Schedule => _schedule ??= MergeSchedules(CompiledSchedule, OptionCallbacks.Schedule);

    /// <summary>The calls compiled into the loop, as the generated file's header lists them.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected abstract IReadOnlyList<ScheduledCall> CompiledSchedule { get; }

    /// <summary>Runs the members given in <see cref="TrainerOptions.Callbacks"/> and <see cref="TrainerOptions.Loggers"/>.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected OptionCallbacks OptionCallbacks { get; }

    private IReadOnlyList<ScheduledCall>? _schedule;

    private static ScheduledCall[] MergeSchedules(IReadOnlyList<ScheduledCall> compiled, IReadOnlyList<ScheduledCall> given) =>
        [.. compiled.Select(c => (Call: c, Given: false)).Concat(given.Select(c => (Call: c, Given: true)))
            // Stable: each side keeps its order; at Init the given members run first, elsewhere after.
            .OrderBy(c => c.Call.Event)
            .ThenBy(c => c.Call.Event == Event.Init ? !c.Given : c.Given)
            .Select(c => c.Call)];

    // A member's checkpointed state is keyed by its type's name, so the compiled and the given members list each type once.
    private static void RequireOneOfEachType(IReadOnlyList<object> members)
    {
        if (members.GroupBy(m => m.GetType()).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException(
                $"The trainer has two members of type {twice.Key.Name} (in [Trainer] and in TrainerOptions, or twice in the options); keep one.",
                "options");
    }

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
    /// <returns>The final timestamp, the last batch's loss and the last evaluation's metrics.</returns>
    public abstract FitResult Fit();

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

    /// <summary>Sets each batch's learning rate and steps TorchSharp's schedulers.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected LearningRateSchedule LearningRates { get; }

    /// <summary>
    /// The forward pass's and the loss's precision (Composer's <c>get_precision_context</c>): an autocast scope with
    /// <see cref="TrainerOptions.Precision"/>'s mixed precision on the state's device, nothing with float32.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected Autocast.Scope? PrecisionContext() => _autocastDtype is { } dtype ? Autocast.Enable(State.Device.type, dtype) : null;

    /// <summary>Loss scaling for <see cref="Precision.AmpFp16"/>; off (scale 1, every step taken) otherwise.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected GradScaler Scaler { get; }

    /// <summary>Splits each batch for <see cref="TrainerOptions.DeviceTrainMicrobatchSize"/>.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected Microbatches Microbatches { get; }

    /// <summary>Broadcasts the weights and averages the gradients when several processes train.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected DataParallel Replicas { get; }

    /// <summary>When to evaluate during training (<see cref="TrainerOptions.EvalInterval"/>).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected IntervalScheduler EvalSchedule { get; }

    /// <summary>Batches between two reads of the logged device values (<see cref="TrainerOptions.LogInterval"/>).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected long LogInterval { get; }

    private CheckpointLoading Loading { get; }

    private sealed record CheckpointLoading(string? Path, bool WeightsOnly, bool StrictModelWeights, bool Autoresume,
        ObjectStores.ObjectStore? Store, string? CacheFolder);

    /// <summary>
    /// Seeds the random state after the load events, as Composer does at the end of construction: with the seed plus
    /// the rank, so each rank draws its own dropout masks and augmentations while the data order stays shared.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected void SeedAll() => Reproducibility.SeedAll(State.Seed + State.Rank);

    private static int AgreedRandomSeed(ICommunicator communicator)
    {
        using Tensor seed = torch.tensor(new long[] { Random.Shared.Next() });
        communicator.Broadcast(seed);
        return (int)seed.item<long>();
    }

    /// <summary>
    /// Between <see cref="Event.BeforeLoad"/> and <see cref="Event.AfterLoad"/>: loads the latest checkpoint of the
    /// trainer's <see cref="IAutoresumeSource"/> when <see cref="TrainerOptions.Autoresume"/> finds one, else
    /// <see cref="TrainerOptions.LoadPath"/>. The whole file is checked before anything changes.
    /// </summary>
    /// <exception cref="CheckpointException">The checkpoint is unreadable or does not fit this trainer.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected void LoadCheckpoint()
    {
        string? path = CheckpointToLoad();
        if (path is null) return;
        _resumedRngState = CheckpointRestorer.Restore(State, path, LearningRates, Loading.WeightsOnly, Loading.StrictModelWeights);
    }

    private string? CheckpointToLoad()
    {
        if (Loading.Autoresume)
        {
            IAutoresumeSource source = State.Callbacks.OfType<IAutoresumeSource>().FirstOrDefault()
                ?? throw new InvalidOperationException("Autoresume looks for the latest checkpoint in a CheckpointSaver's folder; add a CheckpointSaver member to the trainer.");
            if (source.WeightsOnly)
                throw new InvalidOperationException("Autoresume needs full checkpoints, but the CheckpointSaver writes weights only; set weightsOnly: false.");
            if (source.LatestCheckpoint(State) is { } latest) return latest;
        }
        return Loading.Path is { } path && ObjectStores.ObjectStoreUri.IsRemote(path)
            ? ObjectStores.DownloadCache.Fetch(path, Loading.Store, Loading.CacheFolder)
            : Loading.Path;
    }

    /// <summary>Puts the model in training mode on the training data, before <see cref="Event.FitStart"/>.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected void StartTraining()
    {
        State.Model.train();
        State.Dataloader = State.TrainDataloader;
        State.DataloaderLabel = "train";
        // What Composer logs as hyperparameters: the run's identity and the algorithms enabled.
        var hyperparameters = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["run_name"] = State.RunName,
            ["seed"] = State.Seed,
            ["max_duration"] = State.MaxDuration.ToString(),
            ["world_size"] = State.Communicator.WorldSize,
        };
        foreach (Algorithm algorithm in State.Algorithms)
            hyperparameters[$"enabled_algorithms/{algorithm.GetType().Name}"] = true;
        Logger.LogHyperparameters(hyperparameters);
    }

    /// <summary>
    /// After <see cref="Event.FitStart"/>: a resumed run continues with the random state it saved, so what
    /// <see cref="Event.FitStart"/> draws does not shift the rest of the run (Composer restores it here too).
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected void RestoreResumedRandomState()
    {
        if (_resumedRngState is null) return;
        torch.set_rng_state(_resumedRngState);
        _resumedRngState.Dispose();
        _resumedRngState = null;
    }

    /// <summary>True at the first batch of the first epoch of an iteration.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected bool IsIterationStart => State.Timestamp.EpochInIteration == 0 && State.Timestamp.BatchInEpoch == 0;

    /// <summary>True when the epoch's last batch has been trained.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected bool IsEpochDataExhausted => State.Timestamp.BatchInEpoch >= State.TrainDataloader.Count;

    /// <summary>The train batches of the current epoch, skipping those a resumed run has already trained on.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected IEnumerator<Batch> OpenTrainDataloader()
    {
        State.TrainDataloader.SetEpoch(State.Timestamp.Epoch);
        // Zero except in the first epoch of a run resumed mid-epoch; the order depends only on seed and epoch.
        return State.TrainDataloader.GetEnumerator(skip: State.Timestamp.BatchInEpoch);
    }

    /// <summary>
    /// Takes the next train batch onto the device as <see cref="State.Batch"/> and starts the batch's clock; false
    /// when the epoch's data is exhausted. Call it inside the batch's dispose scope so the batch is freed with it.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected bool TakeTrainBatch(IEnumerator<Batch> batches)
    {
        if (!TakeBatch(batches)) return false;
        _batchClock.Restart();
        // Counted before AfterDataloader, so algorithms that shrink the batch do not change the sample and token counts.
        BatchSamples = State.Batch.Size;
        BatchTokens = State.Batch.TokenCount;
        return true;
    }

    /// <summary>Takes the next batch onto the device as <see cref="State.Batch"/>; false when the data is exhausted.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected bool TakeBatch(IEnumerator<Batch> batches)
    {
        State.ClearStep();
        if (!batches.MoveNext()) return false;
        State.Batch = batches.Current.To(State.Device);
        return true;
    }

    /// <summary>Adds the batch to the training metrics when <see cref="TrainerOptions.ComputeTrainingMetrics"/> is set.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected void UpdateTrainMetrics()
    {
        if (!_computeTrainingMetrics) return;
        foreach (Metric metric in State.TrainMetrics.Values)
            State.Model.UpdateMetric(State.Batch, State.Outputs.detach(), metric);
    }

    /// <summary>
    /// Keeps <paramref name="batchLoss"/> for <see cref="FitResult.TrainLoss"/>. Called only at the last batch of an epoch
    /// or of the run (where a run can end), so the other batches allocate nothing for it.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected void KeepLoss(Tensor? batchLoss)
    {
        if (batchLoss is null || ReferenceEquals(_lastLoss, batchLoss)) return;
        _lastLoss?.Dispose();
        // Taken out of the batch's scope rather than copied; backward already released what its graph held.
        _lastLoss = batchLoss.DetachFromDisposeScope();
    }

    /// <summary>The samples of the batch taken last, counted before any algorithm changed the batch.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected long BatchSamples { get; private set; }

    /// <summary>The tokens of the batch taken last, counted before any algorithm changed the batch.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected long BatchTokens { get; private set; }

    /// <summary>Moves the timestamp past the batch just trained, with its samples and tokens (over every rank) and its time.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected void AdvanceBatch(long samples, long tokens)
    {
        _batchClock.Stop();
        State.AdvanceTo(State.Timestamp.ToNextBatch(samples, tokens, _batchClock.Elapsed));
    }

    /// <summary>Moves the timestamp to the next epoch.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected void AdvanceEpoch() => State.AdvanceTo(State.Timestamp.ToNextEpoch());

    /// <summary>
    /// Whether the evaluators run at <paramref name="trigger"/> (<see cref="Event.BatchEnd"/>, <see cref="Event.EpochEnd"/>
    /// or, for a last evaluation, <see cref="Event.FitEnd"/>): the eval predicate, else the eval interval. Changes nothing.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected bool IsEvalDue(Event trigger) =>
        State.Evaluators.Count > 0 && _isEvalDue(State, trigger);

    /// <summary>Throws a clear error when <c>Eval()</c> has nothing to evaluate.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected void RequireEvaluators()
    {
        if (State.Evaluators.Count == 0)
            throw new InvalidOperationException("Eval() needs data to evaluate: set EvalDataloader or Evaluators in the TrainerOptions.");
    }

    /// <summary>
    /// Starts one evaluator's loop: its metrics reset, the model in eval mode without gradients on its data. Disposing
    /// the scope restores training, also when a call throws.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected EvaluationScope BeginEvaluation(Evaluator evaluator)
    {
        ArgumentNullException.ThrowIfNull(evaluator);
        foreach (Metric metric in evaluator.Metrics!.Values)
            metric.Reset();
        return new EvaluationScope(State, evaluator.Dataloader, evaluator.Label);
    }

    /// <summary>Adds the evaluation batch to the evaluator's metrics.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected void UpdateEvalMetrics(Evaluator evaluator)
    {
        foreach (Metric metric in evaluator.Metrics!.Values)
            State.Model.UpdateMetric(State.Batch, State.Outputs, metric);
    }

    /// <summary>Computes and logs the evaluator's metrics, before <see cref="Event.EvalEnd"/>.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected void LogEvalMetrics(Evaluator evaluator)
    {
        State.ClearStep();
        Logger.Flush();
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach ((string name, Metric metric) in evaluator.Metrics!)
        {
            // Over every rank's shard of the evaluation data.
            metric.Synchronize(State.Communicator);
            values[$"metrics/{evaluator.Label}/{name}"] = _lastMetrics[$"metrics/{evaluator.Label}/{name}"] = metric.Compute();
        }
        Logger.LogMetrics(values);
    }

    /// <summary>Starts a prediction loop: the model in eval mode without gradients on <paramref name="dataloader"/>.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected EvaluationScope BeginPrediction(DataLoader dataloader)
    {
        ArgumentNullException.ThrowIfNull(dataloader);
        return new EvaluationScope(State, dataloader, "predict");
    }

    /// <summary>The batch's outputs, detached, on the CPU, and outside the batch's dispose scope.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected Tensor KeepPrediction() => State.Outputs.detach().cpu().DetachFromDisposeScope();

    /// <summary>What <c>Fit()</c> returns: where training stopped, the last loss and the last metrics.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected FitResult Result()
    {
        double? loss = _lastLoss?.ToDouble();
        _lastLoss?.Dispose();
        _lastLoss = null;
        return new FitResult(State.Timestamp, loss, new Dictionary<string, double>(_lastMetrics, StringComparer.Ordinal));
    }

    private static Device ModelDevice(nn.Module model)
    {
        foreach (var parameter in model.parameters())
            return parameter.device;
        return CPU;
    }
}
