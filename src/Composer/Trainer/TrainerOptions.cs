using Composer.Core;
using Composer.Data;
using Composer.Models;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.optim.lr_scheduler;

namespace Composer;

/// <summary>What to train and for how long: the arguments of Composer's <c>Trainer</c>.</summary>
public sealed class TrainerOptions
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

    /// <summary>The optimizer; SGD with a learning rate of 0.1 when omitted (Composer's default rate).</summary>
    /// <remarks>Create it after moving the model to its device: moving replaces the parameters.</remarks>
    public optim.Optimizer? Optimizer { get; init; }

    /// <summary>Learning-rate schedulers, stepped once per epoch unless <see cref="StepSchedulersEveryBatch"/>.</summary>
    public IReadOnlyList<LRScheduler>? Schedulers { get; init; }

    /// <summary>Step the schedulers after every batch instead of every epoch.</summary>
    public bool StepSchedulersEveryBatch { get; init; }

    /// <summary>The seed for torch's random state; random (and logged in <see cref="State.Seed"/>) when omitted.</summary>
    public int? Seed { get; init; }

    /// <summary>The device to train on; where the model's parameters are when omitted.</summary>
    public Device? Device { get; init; }

    /// <summary>The run's name; generated from the time when omitted.</summary>
    public string? RunName { get; init; }

    /// <summary>Update the model's training metrics every batch (off by default, as in Composer).</summary>
    public bool ComputeTrainingMetrics { get; init; }
}
