using Composer.Core;
using Composer.Data;
using Composer.Loggers;
using Composer.Models;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Composer;

/// <summary>What to train and for how long: the arguments of Composer's <c>Trainer</c>.</summary>
public sealed record TrainerOptions
{
    /// <summary>The model to train.</summary>
    public required ComposerModel Model { get; init; }

    /// <summary>The training batches.</summary>
    public required DataLoader TrainDataloader { get; init; }

    /// <summary>How long to train: ep, ba, sp or tok, for example <c>Time.Parse("1ep")</c>.</summary>
    public required Time MaxDuration { get; init; }

    /// <summary>Batches to evaluate on, as one evaluator labelled <c>"eval"</c>.</summary>
    public DataLoader? EvalDataloader { get; init; }

    /// <summary>Named evaluators; use instead of <see cref="EvalDataloader"/> for several.</summary>
    public IReadOnlyList<Evaluator>? Evaluators { get; init; }

    /// <summary>
    /// How often to evaluate while training: every N epochs (<c>"1ep"</c>, the default), batches
    /// (<c>"100ba"</c>), samples, tokens or fractions of the run (<c>"0.25dur"</c>). Zero turns evaluation
    /// during training off. A last evaluation runs at the end when the interval does not divide the run.
    /// </summary>
    public Time? EvalInterval { get; init; }

    /// <summary>
    /// Decides when to evaluate instead of <see cref="EvalInterval"/>, as Composer's callable <c>eval_interval</c>:
    /// asked at <see cref="Event.BatchEnd"/>, <see cref="Event.EpochEnd"/> and, for a last evaluation after the run,
    /// <see cref="Event.FitEnd"/>.
    /// </summary>
    public Func<State, Event, bool>? EvalPredicate { get; init; }

    /// <summary>
    /// Splits each batch into microbatches of this many samples: forward, loss and backward (and their
    /// events) run per microbatch, each loss scaled by its share so the gradients equal the whole batch's.
    /// Null (the default) trains the whole batch at once.
    /// </summary>
    public int? DeviceTrainMicrobatchSize { get; init; }

    /// <summary>The optimizer; SGD with a learning rate of 0.1 when omitted (Composer's default rate).</summary>
    /// <remarks>Create it after moving the model to its device: moving replaces the parameters.</remarks>
    public optim.Optimizer? Optimizer { get; init; }

    /// <summary>
    /// Composer's learning-rate schedules (<see cref="Optim.CosineAnnealingWithWarmupScheduler"/> and the others in
    /// <see cref="Optim"/>): before every batch each parameter group's rate becomes its initial rate times the
    /// product of their multipliers at that batch.
    /// </summary>
    public IReadOnlyList<Optim.ComposerScheduler>? Schedulers { get; init; }

    /// <summary>TorchSharp's own schedulers, stepped once per epoch unless <see cref="StepSchedulersEveryBatch"/>.</summary>
    public IReadOnlyList<LRScheduler>? TorchSchedulers { get; init; }

    /// <summary>Step <see cref="TorchSchedulers"/> after every batch instead of every epoch.</summary>
    public bool StepSchedulersEveryBatch { get; init; }

    /// <summary>
    /// Composer's <c>scale_schedule_ratio</c>: multiplies the max duration and stretches the
    /// <see cref="Schedulers"/> to match (α_σ(t) = α(t / σ)). 1 by default; needs at least one scheduler.
    /// </summary>
    public double ScaleScheduleRatio { get; init; } = 1.0;

    /// <summary>
    /// How many batches the logged device values (the training loss, monitors' norms) are kept before they are
    /// read and handed to the logger destinations; reading waits for the device. 50 by default; they are also
    /// read at the end of each epoch and before each evaluation. 1 sends every batch's values at once.
    /// </summary>
    public int LogInterval { get; init; } = 50;

    /// <summary>The seed for torch's random state; random (and logged in <see cref="State.Seed"/>) when omitted.</summary>
    public int? Seed { get; init; }

    /// <summary>
    /// The numeric precision (Composer's <c>precision</c>): <see cref="Precision.Fp32"/> by default; with
    /// <see cref="Precision.AmpBf16"/> or <see cref="Precision.AmpFp16"/> the forward pass and the loss run under
    /// libtorch's autocast, in training, evaluation and prediction, while weights and optimizer state stay float32.
    /// </summary>
    public Precision Precision { get; init; }

    /// <summary>The device to train on; where the model's parameters are when omitted.</summary>
    public Device? Device { get; init; }

    /// <summary>The run's name; generated from the time when omitted.</summary>
    public string? RunName { get; init; }

    /// <summary>
    /// A checkpoint to start from (Composer's <c>load_path</c>): the model, and unless it is weights-only, the
    /// optimizer, timestamp, seeds, RNG state and the members' state, so training continues where it stopped. A path, or
    /// an object store URI (<c>s3://bucket/run/ep1-ba100.ckpt</c>, or a <c>.symlink</c> pointer such as
    /// <c>s3://bucket/run/latest.ckpt.symlink</c>), downloaded into <see cref="LoadCacheFolder"/> first.
    /// </summary>
    public string? LoadPath { get; init; }

    /// <summary>The store for an object store <see cref="LoadPath"/>, instead of the one its scheme names (Composer's <c>load_object_store</c>).</summary>
    public ObjectStores.ObjectStore? LoadObjectStore { get; init; }

    /// <summary>
    /// Where an object store <see cref="LoadPath"/> is downloaded: <c>&lt;folder&gt;/&lt;scheme&gt;/&lt;bucket&gt;/&lt;name&gt;</c>;
    /// <c>composer-checkpoints</c> in the temporary folder by default.
    /// </summary>
    public string? LoadCacheFolder { get; init; }

    /// <summary>Load only the model's weights from <see cref="LoadPath"/> (to fine-tune), starting a new run.</summary>
    public bool LoadWeightsOnly { get; init; }

    /// <summary>Require the checkpoint's weights to match the model's parameters exactly (true by default).</summary>
    public bool LoadStrictModelWeights { get; init; } = true;

    /// <summary>
    /// End training with the best weights the trainer's <see cref="Callbacks.BestCheckpoints"/> kept (Hugging Face's
    /// <c>load_best_model_at_end</c>), as its <c>loadBestAtEnd</c> argument does; the trainer must have that member.
    /// </summary>
    public bool LoadBestModelAtEnd { get; init; }

    /// <summary>
    /// Continue from the latest checkpoint in the trainer's <see cref="Callbacks.CheckpointSaver"/> folder when there
    /// is one, else from <see cref="LoadPath"/> or the start; run the same program again after a crash to resume.
    /// </summary>
    public bool Autoresume { get; init; }

    /// <summary>
    /// The processes training together: <see cref="Distributed.Communicator.World"/> by default, which is Open MPI's
    /// world under <c>mpirun</c> and a single process otherwise, so the same program scales by its launch alone.
    /// </summary>
    public Distributed.ICommunicator? Communicator { get; init; }

    /// <summary>
    /// With several processes, keep each parameter's optimizer state on one rank only (ZeRO stages 1-2, Composer's
    /// FSDP <c>SHARD_GRAD_OP</c>): gradients are reduce-scattered, each rank steps its own parameters and the updated
    /// ones are gathered. Off by default (plain data parallelism).
    /// </summary>
    public bool ShardOptimizerState { get; init; }

    /// <summary>
    /// Creates the optimizer over the parameters it is given; needed with <see cref="ShardOptimizerState"/>, where each
    /// rank's optimizer covers only the parameters that rank owns (as PyTorch's <c>ZeroRedundancyOptimizer</c> takes
    /// an optimizer class): <c>OptimizerFactory = parameters =&gt; optim.Adam(parameters, 1e-3)</c>.
    /// </summary>
    public Func<IEnumerable<TorchSharp.Modules.Parameter>, optim.Optimizer>? OptimizerFactory { get; init; }

    /// <summary>
    /// Callbacks given at run time, as Composer's <c>callbacks=[...]</c>: they run at every event outside the training
    /// step (<see cref="EventOrder.IsStepEvent"/>), after the trainer's compiled members (before them at
    /// <see cref="Event.Init"/>), in this order. Members that handle the step's events are listed in
    /// <see cref="TrainerAttribute"/> instead, and so are algorithms.
    /// </summary>
    public IReadOnlyList<Callback>? Callbacks { get; init; }

    /// <summary>
    /// Logger destinations given at run time, as Composer's <c>loggers=[...]</c>: they receive every logged value, and
    /// their event methods run as <see cref="Callbacks"/>' do, after them.
    /// </summary>
    public IReadOnlyList<LoggerDestination>? Loggers { get; init; }

    /// <summary>Update the model's training metrics every batch (off by default, as in Composer).</summary>
    public bool ComputeTrainingMetrics { get; init; }

    /// <summary>
    /// Checks the options that do not depend on each other's values at run time, before anything is built.
    /// </summary>
    /// <exception cref="ArgumentException">An option is missing, out of range, or conflicts with another; the message names the fix.</exception>
    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Model, nameof(Model));
        ArgumentNullException.ThrowIfNull(TrainDataloader, nameof(TrainDataloader));
        State.RequireMaxDuration(MaxDuration, nameof(MaxDuration));
        if (EvalDataloader is not null && Evaluators is not null)
            throw new ArgumentException("Set either EvalDataloader or Evaluators, not both.", nameof(Evaluators));
        if (Evaluators is not null && Evaluators.Select(e => e.Label).Distinct(StringComparer.Ordinal).Count() != Evaluators.Count)
            throw new ArgumentException("Evaluator labels must be unique.", nameof(Evaluators));
        if (EvalInterval is { } interval) IntervalScheduler.RequireInterval(interval, nameof(EvalInterval), nameof(EvalInterval));
        Microbatches.RequireSize(DeviceTrainMicrobatchSize, nameof(DeviceTrainMicrobatchSize));
        if (LogInterval < 1)
            throw new ArgumentOutOfRangeException(nameof(LogInterval), LogInterval, "LogInterval is a number of batches, at least 1.");
        if (!(ScaleScheduleRatio > 0) || double.IsInfinity(ScaleScheduleRatio))
            throw new ArgumentOutOfRangeException(nameof(ScaleScheduleRatio), ScaleScheduleRatio, "ScaleScheduleRatio must be a positive number.");
        if (ScaleScheduleRatio != 1.0 && Schedulers is not { Count: > 0 })
            throw new ArgumentException("ScaleScheduleRatio stretches the learning-rate schedule, but no Schedulers are set; add one (for example new CosineAnnealingScheduler()) or leave the ratio at 1.", nameof(ScaleScheduleRatio));
        if (ScaleScheduleRatio != 1.0 && TorchSchedulers is { Count: > 0 })
            throw new ArgumentException("ScaleScheduleRatio cannot stretch TorchSharp's schedulers; use the Composer schedulers in Composer.Optim instead.", nameof(ScaleScheduleRatio));
        if (Optimizer is not null && OptimizerFactory is not null)
            throw new ArgumentException("Set either Optimizer or OptimizerFactory, not both.", nameof(OptimizerFactory));
        if (ShardOptimizerState && OptimizerFactory is null)
            throw new ArgumentException("ShardOptimizerState builds each rank's optimizer over the parameters it owns; set OptimizerFactory (for example parameters => optim.Adam(parameters, 1e-3)) instead of Optimizer.", nameof(OptimizerFactory));
        if (LoadWeightsOnly && LoadPath is null && !Autoresume)
            throw new ArgumentException("LoadWeightsOnly applies to the checkpoint at LoadPath; set LoadPath too.", nameof(LoadWeightsOnly));
    }

    /// <summary>The max duration stretched by <see cref="ScaleScheduleRatio"/> (whole units, rounded down).</summary>
    internal Time ScaledMaxDuration => ScaleScheduleRatio == 1.0
        ? MaxDuration
        : new Time(Math.Floor(MaxDuration.Value * ScaleScheduleRatio), MaxDuration.Unit);
}
