using Composer.Data;
using Composer.Metrics;
using Composer.Models;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Composer.Core;

/// <summary>
/// Everything algorithms and callbacks may read or change during training, like <c>composer.core.State</c>.
/// </summary>
public sealed class State
{
    private Batch? _batch;
    private Tensor? _outputs;
    private Tensor? _loss;
    private Time _maxDuration;

    internal State(
        ComposerModel model,
        optim.Optimizer optimizer,
        IReadOnlyList<Optim.ComposerScheduler> schedulers,
        IReadOnlyList<LRScheduler> torchSchedulers,
        double scaleScheduleRatio,
        DataLoader trainDataloader,
        IReadOnlyList<Evaluator> evaluators,
        Time maxDuration,
        Device device,
        int seed,
        string runName,
        Distributed.ICommunicator communicator)
    {
        Communicator = communicator;
        Model = model;
        Optimizer = optimizer;
        Schedulers = schedulers;
        TorchSchedulers = torchSchedulers;
        ScaleScheduleRatio = scaleScheduleRatio;
        TrainDataloader = trainDataloader;
        Evaluators = evaluators;
        MaxDuration = maxDuration;
        Device = device;
        Seed = seed;
        RunName = runName;
    }

    /// <summary>The model being trained.</summary>
    public ComposerModel Model { get; }

    /// <summary>The optimizer stepping the model's parameters.</summary>
    public optim.Optimizer Optimizer { get; }

    /// <summary>Composer's learning-rate schedules, applied by the Trainer before every batch.</summary>
    public IReadOnlyList<Optim.ComposerScheduler> Schedulers { get; }

    /// <summary>TorchSharp's schedulers, stepped by the Trainer.</summary>
    public IReadOnlyList<LRScheduler> TorchSchedulers { get; }

    /// <summary>How much the schedules are stretched (Composer's <c>scale_schedule_ratio</c>).</summary>
    public double ScaleScheduleRatio { get; }

    /// <summary>
    /// The current batch: the whole batch from <see cref="Event.AfterDataloader"/> on, through
    /// <see cref="Event.BatchEnd"/>; the evaluation batch during evaluation. Algorithms may replace it.
    /// </summary>
    /// <exception cref="InvalidOperationException">Read outside a batch.</exception>
    public Batch Batch
    {
        get => _batch ?? throw new InvalidOperationException(
            "State.Batch is set from Event.AfterDataloader to the end of the batch; read it in a method subscribed to one of those events.");
        set => _batch = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>The model outputs, from <see cref="Event.AfterForward"/> (or <see cref="Event.EvalAfterForward"/>) on.</summary>
    /// <exception cref="InvalidOperationException">Read before the forward pass of the batch.</exception>
    public Tensor Outputs
    {
        get => _outputs ?? throw new InvalidOperationException(
            "State.Outputs is set by the forward pass; read it from Event.AfterForward (or Event.EvalAfterForward) on.");
        set => _outputs = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>The loss, from <see cref="Event.AfterLoss"/> on. Algorithms may replace it before <see cref="Event.BeforeBackward"/> ends.</summary>
    /// <exception cref="InvalidOperationException">Read before the loss of the batch is computed.</exception>
    public Tensor Loss
    {
        get => _loss ?? throw new InvalidOperationException(
            "State.Loss is set when the loss is computed; read it from Event.AfterLoss on.");
        set => _loss = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>How far training has come.</summary>
    public Timestamp Timestamp { get; private set; }

    /// <summary>
    /// The timestamp before the last advance (Composer's <c>previous_timestamp</c>): interval schedules compare it with
    /// <see cref="Timestamp"/>. Null before the first batch of a run, and right after a checkpoint is loaded.
    /// </summary>
    public Timestamp? PreviousTimestamp { get; private set; }

    /// <summary>The evaluation or prediction in progress; null while training.</summary>
    public EvaluationScope? Evaluation { get; internal set; }

    /// <summary>How long to train, in epochs, batches, samples or tokens.</summary>
    /// <exception cref="ArgumentException">Set to a duration or wall-clock time.</exception>
    public Time MaxDuration
    {
        get => _maxDuration;
        set => _maxDuration = RequireMaxDuration(value, nameof(value));
    }

    /// <summary>The rule for a max duration, wherever one is set: a time in ep, ba, sp or tok.</summary>
    internal static Time RequireMaxDuration(Time value, string parameter) =>
        value.Unit is TimeUnit.Duration or TimeUnit.Second or TimeUnit.Iteration
            ? throw new ArgumentException($"MaxDuration must be a time in ep, ba, sp or tok (for example \"1ep\" or \"500ba\"); {value} cannot be.", parameter)
            : value;

    /// <summary>The fraction of <see cref="MaxDuration"/> done, as a time in <see cref="TimeUnit.Duration"/>.</summary>
    public Time ElapsedDuration => Time.FromDuration(Timestamp.Get(MaxDuration.Unit) / MaxDuration.Value);

    /// <summary>
    /// The fraction of the run done, in [0, 1]: like <see cref="ElapsedDuration"/>, but counted in batches
    /// when the max duration is in epochs, so it moves every batch (for progress bars and estimates).
    /// </summary>
    public double Progress => Math.Clamp(MaxDuration.Unit == TimeUnit.Epoch && TrainDataloader.Count > 0
        ? Timestamp.Batch / (MaxDuration.Value * TrainDataloader.Count)
        : ElapsedDuration.Value, 0.0, 1.0);

    /// <summary>The dataloader being iterated: the train one, or an evaluator's during evaluation.</summary>
    public DataLoader? Dataloader { get; internal set; }

    /// <summary>The label of <see cref="Dataloader"/>: <c>"train"</c> or the evaluator's label.</summary>
    public string? DataloaderLabel { get; internal set; }

    /// <summary>The number of batches in <see cref="Dataloader"/>.</summary>
    public long? DataloaderLength => Dataloader?.Count;

    /// <summary>The training batches.</summary>
    public DataLoader TrainDataloader { get; }

    /// <summary>The evaluators, in the order they run.</summary>
    public IReadOnlyList<Evaluator> Evaluators { get; }

    /// <summary>The device the model and batches are on.</summary>
    public Device Device { get; }

    /// <summary>The seed that fixed the random state at construction (the saved run's, after a resume).</summary>
    public int Seed { get; internal set; }

    /// <summary>The numeric precision the run trains in (<see cref="TrainerOptions.Precision"/>).</summary>
    public Precision Precision { get; internal set; }

    /// <summary>The name of this run.</summary>
    public string RunName { get; }

    /// <summary>The processes training together (one, unless launched by <c>mpirun</c>).</summary>
    public Distributed.ICommunicator Communicator { get; }

    /// <summary>This process's rank, 0 when training alone; members that write files do so on rank 0.</summary>
    public int Rank => Communicator.Rank;

    /// <summary>True when each rank's optimizer holds only the parameters that rank owns (<see cref="TrainerOptions.ShardOptimizerState"/>).</summary>
    public bool ShardsOptimizerState => Replicas is { IsDistributed: true, ShardsOptimizerState: true };

    internal Distributed.DataParallel? Replicas { get; set; }

    /// <summary>
    /// Averages the gradients over the ranks as the trainer does after the backward pass, for a member that computes
    /// the gradients again afterwards (SAM's second pass). Does nothing in a single process.
    /// </summary>
    public void ReduceGradients() => Replicas?.ReduceGradients();

    /// <summary>The training metrics by name; updated only when <see cref="TrainerOptions.ComputeTrainingMetrics"/> is set.</summary>
    public IReadOnlyDictionary<string, Metric> TrainMetrics { get; internal set; } = new Dictionary<string, Metric>();

    /// <summary>The evaluation metrics by evaluator label, then by name.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, Metric>> EvalMetrics { get; internal set; } =
        new Dictionary<string, IReadOnlyDictionary<string, Metric>>();

    /// <summary>The trainer's algorithms, in the order it lists them.</summary>
    public IReadOnlyList<Algorithm> Algorithms { get; private set; } = [];

    /// <summary>The trainer's callbacks (logger destinations included), in the order it lists them.</summary>
    public IReadOnlyList<Callback> Callbacks { get; private set; } = [];

    /// <summary>The members whose state checkpoints keep, by the key they are saved under.</summary>
    internal IReadOnlyList<(string Key, IStateful Member)> StatefulMembers { get; private set; } = [];

    internal void SetMembers(IReadOnlyList<object> members)
    {
        Algorithms = members.OfType<Algorithm>().ToArray();
        Callbacks = members.OfType<Callback>().ToArray();
        // The type name keys a member's state: a trainer lists each type once (CMP0008).
        StatefulMembers = [.. members.OfType<IStateful>().Select(s => (s.GetType().FullName ?? s.GetType().Name, s))];
    }

    /// <summary>
    /// Ends training after the current batch, as Composer's <c>stop_training()</c>: the max duration
    /// becomes the batches done so far.
    /// </summary>
    public void StopTraining() => MaxDuration = Time.FromBatches(Timestamp.Batch);

    /// <summary>Moves time forward, remembering where it was.</summary>
    internal void AdvanceTo(Timestamp next)
    {
        PreviousTimestamp = Timestamp;
        Timestamp = next;
    }

    /// <summary>Sets the time of a loaded checkpoint; nothing came before it in this process.</summary>
    internal void RestoreTimestamp(Timestamp saved)
    {
        PreviousTimestamp = null;
        Timestamp = saved;
    }

    internal void ClearStep()
    {
        _batch = null;
        _outputs = null;
        _loss = null;
    }
}
