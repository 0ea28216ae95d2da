namespace Composer.Generators.Model;

/// <summary>
/// The generator's copy of <c>Composer.Core.Event</c>, by value. A test checks it against the runtime
/// enum, so the two cannot drift apart.
/// </summary>
internal static class Events
{
    public static readonly string[] Names =
    [
        "Init", "BeforeLoad", "AfterLoad", "FitStart", "IterationStart", "EpochStart", "BeforeDataloader",
        "AfterDataloader", "BatchStart", "BeforeTrainBatch", "BeforeForward", "AfterForward", "BeforeLoss",
        "AfterLoss", "BeforeBackward", "AfterBackward", "AfterTrainBatch", "BatchEnd", "BatchCheckpoint",
        "EpochEnd", "EpochCheckpoint", "IterationEnd", "IterationCheckpoint", "FitEnd", "EvalBeforeAll",
        "EvalStart", "EvalBatchStart", "EvalBeforeForward", "EvalAfterForward", "EvalBatchEnd", "EvalEnd",
        "EvalAfterAll", "EvalStandaloneStart", "EvalStandaloneEnd", "PredictStart", "PredictBatchStart",
        "PredictBeforeForward", "PredictAfterForward", "PredictBatchEnd", "PredictEnd",
    ];

    public static int IndexOf(string name) => Array.IndexOf(Names, name);

    public static string NameOf(int value) => value >= 0 && value < Names.Length ? Names[value] : value.ToString();

    /// <summary>
    /// Composer reverses the algorithms (first in, last out) on the events whose name starts with
    /// AFTER_, and only those: not on the *_END events nor on EVAL_AFTER_*.
    /// </summary>
    public static bool RunsInReverse(int value) => NameOf(value).StartsWith("After", StringComparison.Ordinal);

    /// <summary>Composer's Engine runs loggers, then callbacks, then algorithms at INIT; the reverse otherwise.</summary>
    public static bool IsInit(int value) => value == 0;
}
