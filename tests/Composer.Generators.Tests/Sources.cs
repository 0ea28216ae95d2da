namespace Composer.Generators.Tests;

/// <summary>The trainer shapes the snapshot and cache tests run the generator on.</summary>
internal static class Sources
{
    public const string QuickStart = """
        using Composer;
        using Composer.Algorithms;
        using Composer.Core;

        namespace QuickStart;

        public sealed class LossPrinter : Callback
        {
            [OnEvent(Event.BatchEnd)]
            public void RecordLoss(State state) { }

            [OnEvent(Event.EpochEnd)]
            public void PrintEpoch(State state) { }
        }

        [Trainer(typeof(LabelSmoothing), typeof(Ema), typeof(LossPrinter))]
        public partial class QuickStartTrainer;
        """;

    public const string Empty = """
        using Composer;

        [Trainer]
        internal partial class BareTrainer;
        """;

    public const string Layered = """
        using Composer;
        using Composer.Core;
        using Composer.Loggers;

        namespace Layered.Training;

        public abstract class CountingAlgorithm : Algorithm
        {
            [OnEvent(Event.AfterForward)]
            public void Count(State state) { }
        }

        public sealed class Warmup : CountingAlgorithm
        {
            [OnEvent(Event.FitStart), OnEvent(Event.EpochStart)]
            public void Prepare(State state, Logger logger) { }

            [OnEvent(Event.AfterForward)]
            internal void Inspect(State state) { }
        }

        public sealed class Event2 : Algorithm
        {
            [OnEvent(Event.IterationStart)]
            public void Begin(State state) { }

            [OnEvent(Event.AfterForward)]
            public void After(State state) { }

            [OnEvent(Event.PredictEnd)]
            public void Predicted(State state) { }
        }

        public sealed class JsonLines : LoggerDestination
        {
            [OnEvent(Event.Init), OnEvent(Event.FitEnd)]
            public void Open(State state) { }
        }

        public sealed class Checkpoints : Callback
        {
            [OnEvent(Event.Init)]
            public void Prepare(State state) { }

            [OnEvent(Event.EpochCheckpoint), OnEvent(Event.BatchCheckpoint), OnEvent(Event.EvalStandaloneEnd)]
            public void Save(State state, Logger logger) { }
        }

        [Trainer(typeof(JsonLines), typeof(Warmup), typeof(Checkpoints), typeof(Event2))]
        public partial class LayeredTrainer;
        """;

    /// <summary>
    /// Ordering constraints: a selector that declares itself first among algorithms at AfterDataloader (where
    /// Composer's FILO reversal would otherwise put it last), and a clipper that must follow a second-step algorithm.
    /// </summary>
    public const string Ordered = """
        using Composer;
        using Composer.Core;

        namespace Ordered;

        public sealed class Augment : Algorithm
        {
            [OnEvent(Event.AfterDataloader)] [Rewrites(Rewrite.Inputs)] public void Apply(State state) { }
        }

        public sealed class Resize : Algorithm
        {
            [OnEvent(Event.AfterDataloader)] [Rewrites(Rewrite.Inputs)] public void Apply(State state) { }
        }

        public sealed class Select : Algorithm
        {
            [OnEvent(Event.AfterDataloader, RunsBefore = [typeof(Algorithm)])] [Rewrites(Rewrite.Samples)] public void Apply(State state) { }
        }

        public sealed class Clip : Algorithm
        {
            [OnEvent(Event.AfterTrainBatch, RunsAfter = [typeof(SecondStep)])] [Rewrites(Rewrite.Gradients)] public void Apply(State state) { }
        }

        public sealed class SecondStep : Algorithm
        {
            [OnEvent(Event.AfterTrainBatch)] [Rewrites(Rewrite.Gradients)] public void Apply(State state) { }
        }

        [Trainer(typeof(Augment), typeof(Select), typeof(Clip), typeof(Resize), typeof(SecondStep))]
        public partial class OrderedTrainer;
        """;

    public const string Unrelated = """
        namespace Elsewhere;

        public static class Helper
        {
            public static int Twice(int x) => 2 * x;
        }
        """;
}
