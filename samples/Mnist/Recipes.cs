using Composer;
using Composer.Algorithms;
using Composer.Callbacks;
using Composer.Loggers.WandB;

namespace MnistSample;

// One generated Trainer per recipe: each compiles to its own loop with only its algorithms' calls in it.

/// <summary>The members every recipe has: the stop at the target, the printer, W&amp;B (disabled without --wandb).</summary>
public sealed record Reporting(ThresholdStopper Stop, EvalPrinter Print, WandBLogger Wandb, DigitPredictions Predictions);

/// <summary>No algorithms: the baseline every recipe is measured against.</summary>
[Trainer(typeof(ThresholdStopper), typeof(EvalPrinter), typeof(WandBLogger), typeof(DigitPredictions))]
public partial class BaselineTrainer;

/// <summary>Label smoothing alone.</summary>
[Trainer(typeof(LabelSmoothing), typeof(ThresholdStopper), typeof(EvalPrinter), typeof(WandBLogger), typeof(DigitPredictions))]
public partial class LabelSmoothingTrainer;

/// <summary>EMA alone: evaluates the averaged weights.</summary>
[Trainer(typeof(Ema), typeof(ThresholdStopper), typeof(EvalPrinter), typeof(WandBLogger), typeof(DigitPredictions))]
public partial class EmaTrainer;

/// <summary>MixUp alone.</summary>
[Trainer(typeof(MixUp), typeof(ThresholdStopper), typeof(EvalPrinter), typeof(WandBLogger), typeof(DigitPredictions))]
public partial class MixUpTrainer;

/// <summary>Label smoothing and EMA together.</summary>
[Trainer(typeof(LabelSmoothing), typeof(Ema), typeof(ThresholdStopper), typeof(EvalPrinter), typeof(WandBLogger), typeof(DigitPredictions))]
public partial class LabelSmoothingEmaTrainer;

/// <summary>
/// Six methods composed: selective backprop (declared first at AfterDataloader), progressive resizing, CutOut,
/// label smoothing, gradient clipping and EMA.
/// </summary>
[Trainer(typeof(SelectiveBackprop), typeof(ProgressiveResizing), typeof(CutOut), typeof(LabelSmoothing), typeof(GradientClipping), typeof(Ema),
    typeof(ThresholdStopper), typeof(EvalPrinter), typeof(WandBLogger), typeof(DigitPredictions))]
public partial class ComposedTrainer;

/// <summary>
/// The model-surgery methods on the small ResNet (<c>--recipe surgery</c>): BlurPool, Squeeze-and-Excitation, stochastic
/// depth and ghost batch norm, all applied at Init by module surgery.
/// </summary>
[Trainer(typeof(BlurPool), typeof(SqueezeExcite), typeof(StochasticDepth), typeof(GhostBatchNorm),
    typeof(ThresholdStopper), typeof(EvalPrinter), typeof(WandBLogger), typeof(DigitPredictions))]
public partial class SurgeryTrainer;
