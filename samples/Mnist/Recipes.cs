using Composer;
using Composer.Algorithms;
using Composer.Callbacks;
using Composer.Loggers.WandB;

namespace MnistSample;

// One generated Trainer per recipe: each compiles to its own loop with only its algorithms' calls in it.

/// <summary>A recipe: its generated Trainer, and the optimizer and schedule it brings (null: the flags' SGD or Adam).</summary>
public sealed record Recipe(Func<Reporting, TrainerOptions, Trainer> Create, RecipeSchedule? Schedule = null);

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

// The fast recipe is LabelSmoothingEmaTrainer with RecipeSchedule.Fast; its ablation adds the image methods to it.

/// <summary>The fast recipe plus progressive resizing.</summary>
[Trainer(typeof(ProgressiveResizing), typeof(LabelSmoothing), typeof(Ema), typeof(ThresholdStopper), typeof(EvalPrinter), typeof(WandBLogger), typeof(DigitPredictions))]
public partial class FastResizingTrainer;

/// <summary>The fast recipe plus progressive resizing and selective backprop (declared first at AfterDataloader).</summary>
[Trainer(typeof(SelectiveBackprop), typeof(ProgressiveResizing), typeof(LabelSmoothing), typeof(Ema), typeof(ThresholdStopper), typeof(EvalPrinter), typeof(WandBLogger), typeof(DigitPredictions))]
public partial class FastResizingSelectiveTrainer;

/// <summary>
/// A recipe's own optimizer and schedule, as Composer's recipes fix them: SGD with momentum, a linear warmup to
/// <paramref name="LearningRate"/> over <paramref name="Warmup"/>, then cosine decay to 0 at the end of a budget of
/// <paramref name="Epochs"/> epochs. The methods' own schedules (progressive resizing's) are fractions of that budget too.
/// </summary>
public sealed record RecipeSchedule(double LearningRate, double Momentum, string Warmup, int Epochs)
{
    /// <summary>The fast recipe's schedule.</summary>
    public static RecipeSchedule Fast { get; } = new(LearningRate: 0.05, Momentum: 0.9, Warmup: "0.1dur", Epochs: 8);
}

/// <summary>
/// The model-surgery methods on the small ResNet (<c>--recipe surgery</c>): BlurPool, Squeeze-and-Excitation, stochastic
/// depth and ghost batch norm, all applied at Init by module surgery.
/// </summary>
[Trainer(typeof(BlurPool), typeof(SqueezeExcite), typeof(StochasticDepth), typeof(GhostBatchNorm),
    typeof(ThresholdStopper), typeof(EvalPrinter), typeof(WandBLogger), typeof(DigitPredictions))]
public partial class SurgeryTrainer;
