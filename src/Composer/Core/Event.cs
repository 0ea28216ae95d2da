// Compiled into the generator too (COMPOSER_GENERATOR, internal there), so both sides share one definition.
namespace Composer.Core;

/// <summary>
/// The points of the training loop at which algorithms and callbacks run, in the order Composer declares
/// them. The generated Trainer raises them in Composer's firing order: its <c>Fit()</c> is the loop, and the header of
/// the generated file lists the calls at each event.
/// </summary>
/// <remarks>
/// The numeric values are part of the contract with the generator: append, never reorder.
/// </remarks>
#if COMPOSER_GENERATOR
internal
#else
public
#endif
enum Event
{
    /// <summary>Once, in the Trainer's constructor, before anything is loaded.</summary>
    Init,
    /// <summary>Before a checkpoint would be loaded, in the constructor.</summary>
    BeforeLoad,
    /// <summary>After a checkpoint would be loaded, in the constructor.</summary>
    AfterLoad,
    /// <summary>At the start of <c>Fit()</c>.</summary>
    FitStart,
    /// <summary>At the start of an iteration (the first epoch of a run).</summary>
    IterationStart,
    /// <summary>At the start of every epoch.</summary>
    EpochStart,
    /// <summary>Before the next batch is taken from the train dataloader; also when the dataloader is exhausted.</summary>
    BeforeDataloader,
    /// <summary>After the batch is taken and moved to the device. Batch transforms go here.</summary>
    AfterDataloader,
    /// <summary>At the start of the batch, after the data is ready.</summary>
    BatchStart,
    /// <summary>Before the gradients are cleared and the batch is trained.</summary>
    BeforeTrainBatch,
    /// <summary>Before the model's forward pass.</summary>
    BeforeForward,
    /// <summary>After the forward pass; <see cref="State.Outputs"/> is set.</summary>
    AfterForward,
    /// <summary>Before the loss is computed. Target transforms go here.</summary>
    BeforeLoss,
    /// <summary>After the loss is computed; <see cref="State.Loss"/> is set.</summary>
    AfterLoss,
    /// <summary>Before the backward pass.</summary>
    BeforeBackward,
    /// <summary>After the backward pass; gradients are populated.</summary>
    AfterBackward,
    /// <summary>After the whole batch is trained, before the optimizer steps.</summary>
    AfterTrainBatch,
    /// <summary>After the optimizer step and the timestamp advance.</summary>
    BatchEnd,
    /// <summary>After <see cref="BatchEnd"/> and any evaluation it triggers; checkpoints are saved here.</summary>
    BatchCheckpoint,
    /// <summary>When the dataloader is exhausted, after the timestamp moves to the next epoch.</summary>
    EpochEnd,
    /// <summary>After <see cref="EpochEnd"/> and any evaluation it triggers; checkpoints are saved here.</summary>
    EpochCheckpoint,
    /// <summary>At the end of an iteration. Raised only when an iteration length is configured.</summary>
    IterationEnd,
    /// <summary>After <see cref="IterationEnd"/>. Raised only when an iteration length is configured.</summary>
    IterationCheckpoint,
    /// <summary>At the end of <c>Fit()</c>, before the final evaluation.</summary>
    FitEnd,
    /// <summary>Before the evaluators that are due run.</summary>
    EvalBeforeAll,
    /// <summary>At the start of one evaluator's loop.</summary>
    EvalStart,
    /// <summary>At the start of an evaluation batch.</summary>
    EvalBatchStart,
    /// <summary>Before the evaluation forward pass.</summary>
    EvalBeforeForward,
    /// <summary>After the evaluation forward pass.</summary>
    EvalAfterForward,
    /// <summary>At the end of an evaluation batch, after the metrics are updated.</summary>
    EvalBatchEnd,
    /// <summary>At the end of one evaluator's loop; its metrics are computed.</summary>
    EvalEnd,
    /// <summary>After every due evaluator has run.</summary>
    EvalAfterAll,
    /// <summary>At the start of a standalone <c>Eval()</c>.</summary>
    EvalStandaloneStart,
    /// <summary>At the end of a standalone <c>Eval()</c>.</summary>
    EvalStandaloneEnd,
    /// <summary>At the start of prediction.</summary>
    PredictStart,
    /// <summary>At the start of a prediction batch.</summary>
    PredictBatchStart,
    /// <summary>Before the prediction forward pass.</summary>
    PredictBeforeForward,
    /// <summary>After the prediction forward pass.</summary>
    PredictAfterForward,
    /// <summary>At the end of a prediction batch.</summary>
    PredictBatchEnd,
    /// <summary>At the end of prediction.</summary>
    PredictEnd,
}

/// <summary>Composer's rule on the order of the calls at an event, shared by the generator and the runtime.</summary>
#if COMPOSER_GENERATOR
internal
#else
public
#endif
static class EventOrder
{
    /// <summary>
    /// Whether the algorithms run in reverse (first in, last out) at <paramref name="event"/>: Composer's Engine reverses
    /// them on the events whose name starts with AFTER_, and only those (not on the *_END events nor on EVAL_AFTER_*).
    /// </summary>
    public static bool RunsInReverse(Event @event) => @event.ToString().StartsWith("After", System.StringComparison.Ordinal);

    /// <summary>
    /// Whether <paramref name="event"/> lies inside the training step, from <see cref="Event.BeforeDataloader"/> to
    /// <see cref="Event.AfterTrainBatch"/> (<see cref="Event.BatchStart"/> excepted), where algorithms change the batch,
    /// the loss and the gradients: only members compiled into the loop run there, none given at run time.
    /// </summary>
    public static bool IsStepEvent(Event @event) =>
        @event is >= Event.BeforeDataloader and <= Event.AfterTrainBatch && @event != Event.BatchStart;
}
