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
    private readonly double[] _initialRates;

    /// <summary>Creates the schedule; the optimizer's rates now are the initial rates the multipliers scale.</summary>
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
        _initialRates = optimizer.ParamGroups.Select(g => g.LearningRate).ToArray();
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
        int i = 0;
        foreach (var group in _optimizer.ParamGroups)
            group.LearningRate = _initialRates[i++] * multiplier;
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
