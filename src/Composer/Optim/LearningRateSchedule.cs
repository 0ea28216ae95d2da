using Composer.Core;
using static TorchSharp.torch;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Composer.Optim;

/// <summary>
/// Sets the optimizer's learning rates from the schedules: Composer's schedulers are functions of the timestamp,
/// applied before each batch (batch k trains with α(k)); TorchSharp's count their own steps, taken after each
/// epoch, or after each batch when asked.
/// </summary>
public sealed class LearningRateSchedule
{
    private readonly optim.Optimizer _optimizer;
    private readonly IReadOnlyList<ComposerScheduler> _schedulers;
    private readonly IReadOnlyList<LRScheduler> _torchSchedulers;
    private readonly double _scaleScheduleRatio;
    // By group, not by position: surgery at Init (BlurPool, ALiBi, ...) adds groups after the schedule was made.
    private readonly Dictionary<object, double> _initialRates = new(ReferenceEqualityComparer.Instance);

    /// <summary>
    /// Creates the schedule; the optimizer's rates now are the initial rates the multipliers scale (a group added later,
    /// by surgery, starts from the rate it was added with).
    /// </summary>
    /// <param name="optimizer">The optimizer whose parameter groups' rates are set.</param>
    /// <param name="schedulers">Composer's schedulers; their multipliers multiply.</param>
    /// <param name="torchSchedulers">TorchSharp's schedulers.</param>
    /// <param name="stepTorchSchedulersEveryBatch">Step TorchSharp's schedulers after every batch instead of every epoch.</param>
    /// <param name="scaleScheduleRatio">Composer's <c>scale_schedule_ratio</c>: α_σ(t) = α(t / σ).</param>
    public LearningRateSchedule(optim.Optimizer optimizer, IReadOnlyList<ComposerScheduler> schedulers,
        IReadOnlyList<LRScheduler> torchSchedulers, bool stepTorchSchedulersEveryBatch = false, double scaleScheduleRatio = 1.0)
    {
        _optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        _schedulers = schedulers ?? throw new ArgumentNullException(nameof(schedulers));
        _torchSchedulers = torchSchedulers ?? throw new ArgumentNullException(nameof(torchSchedulers));
        StepsEveryBatch = stepTorchSchedulersEveryBatch;
        _scaleScheduleRatio = scaleScheduleRatio;
        foreach (var group in optimizer.ParamGroups)
            _initialRates[group] = group.LearningRate;
    }

    /// <summary>True when TorchSharp's schedulers step after every batch.</summary>
    public bool StepsEveryBatch { get; }

    /// <summary>Before a batch: each group's rate becomes its initial rate times the schedulers' multipliers now.</summary>
    public void ApplyBeforeBatch(State state)
    {
        if (_schedulers.Count == 0) return;
        double multiplier = 1.0;
        foreach (ComposerScheduler scheduler in _schedulers)
            multiplier *= scheduler.Multiplier(state, _scaleScheduleRatio);
        foreach (var group in _optimizer.ParamGroups)
        {
            // A group added since (by surgery, before the first batch) starts from the rate it was given.
            if (!_initialRates.TryGetValue(group, out double initial))
                _initialRates[group] = initial = group.LearningRate;
            group.LearningRate = initial * multiplier;
        }
    }

    /// <summary>After the optimizer step: steps TorchSharp's schedulers if they step every batch.</summary>
    public void StepAfterBatch()
    {
        if (StepsEveryBatch) StepTorchSchedulers();
    }

    /// <summary>At the end of an epoch: steps TorchSharp's schedulers if they step every epoch.</summary>
    public void StepAfterEpoch()
    {
        if (!StepsEveryBatch) StepTorchSchedulers();
    }

    /// <summary>
    /// Brings TorchSharp's schedulers to a resumed run's time by replaying their steps: they keep their step counts
    /// private, so a checkpoint cannot hold them.
    /// </summary>
    public void Replay(Timestamp resumedAt)
    {
        long steps = StepsEveryBatch ? resumedAt.Batch : resumedAt.Epoch;
        for (long i = 0; i < steps; i++)
            StepTorchSchedulers();
    }

    private void StepTorchSchedulers()
    {
        foreach (LRScheduler scheduler in _torchSchedulers)
            scheduler.step();
    }
}
