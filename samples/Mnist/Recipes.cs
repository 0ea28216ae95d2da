using Composer;
using Composer.Algorithms;

namespace MnistSample;

// One generated Trainer per set of methods: each compiles to its own loop with only its methods' calls in it. The
// reporting members (the stop at the target, the printer, W&B, the predictions table) come in TrainerOptions.Callbacks
// and Loggers, the same for every recipe.

/// <summary>A recipe: its generated Trainer, and the optimizer and schedule it brings (null: the flags' SGD or Adam).</summary>
public sealed record Recipe(Func<TrainerOptions, Trainer> Create, RecipeSchedule? Schedule = null);

/// <summary>No methods: the baseline every recipe is measured against.</summary>
[Trainer] public partial class BaselineTrainer;

[Trainer(typeof(LabelSmoothing))] public partial class LabelSmoothingTrainer;

/// <summary>EMA alone: evaluates the averaged weights.</summary>
[Trainer(typeof(Ema))] public partial class EmaTrainer;

[Trainer(typeof(MixUp))] public partial class MixUpTrainer;

/// <summary>The fast recipe's methods.</summary>
[Trainer(typeof(LabelSmoothing), typeof(Ema))] public partial class LabelSmoothingEmaTrainer;

/// <summary>Six methods composed; selective backprop is declared first at AfterDataloader.</summary>
[Trainer(typeof(SelectiveBackprop), typeof(ProgressiveResizing), typeof(CutOut), typeof(LabelSmoothing), typeof(GradientClipping),
    typeof(Ema))]
public partial class ComposedTrainer;

[Trainer(typeof(ProgressiveResizing), typeof(LabelSmoothing), typeof(Ema))] public partial class FastResizingTrainer;

[Trainer(typeof(SelectiveBackprop), typeof(ProgressiveResizing), typeof(LabelSmoothing), typeof(Ema))]
public partial class FastResizingSelectiveTrainer;

/// <summary>The model-surgery methods on the small ResNet, all applied at Init by module surgery.</summary>
[Trainer(typeof(BlurPool), typeof(SqueezeExcite), typeof(StochasticDepth), typeof(GhostBatchNorm))] public partial class SurgeryTrainer;

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
