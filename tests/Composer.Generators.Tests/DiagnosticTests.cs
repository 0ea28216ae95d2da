using Microsoft.CodeAnalysis;

namespace Composer.Generators.Tests;

/// <summary>One test per diagnostic id: the id, its severity, where it points, and that the message names the fix.</summary>
public class DiagnosticTests
{
    private const string Usings = """
        using Composer;
        using Composer.Core;
        using Composer.Loggers;

        """;

    private static Diagnostic Single(string source, string id)
    {
        var diagnostics = GeneratorHarness.Analyze(Usings + source);
        Assert.That(diagnostics.Select(d => d.Id), Is.EqualTo(new[] { id }), string.Join("\n", diagnostics));
        return diagnostics[0];
    }

    // The generator's diagnostics (CMP0005) point into a file by path and span, without the tree: the tests' one source.
    private static string Marked(Diagnostic d, string? source = null) =>
        (d.Location.SourceTree?.ToString() ?? source!).Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length);

    [TestCase("public int Apply(State state) => 0;", TestName = "CMP0001 non-void return")]
    [TestCase("public void Apply() { }", TestName = "CMP0001 no State")]
    [TestCase("public void Apply(State state, int extra) { }", TestName = "CMP0001 extra parameter")]
    [TestCase("public void Apply(Logger logger, State state) { }", TestName = "CMP0001 parameters swapped")]
    [TestCase("public void Apply(ref State state) { }", TestName = "CMP0001 by reference")]
    public void CMP0001_WrongSignature(string method)
    {
        Diagnostic d = Single($$"""
            public sealed class A : Algorithm { [OnEvent(Event.BatchEnd)] {{method}} }
            """, "CMP0001");
        Assert.That(d.Severity, Is.EqualTo(DiagnosticSeverity.Error));
        Assert.That(Marked(d), Is.EqualTo("Apply"));
        Assert.That(d.GetMessage(), Does.Contain("must return void and take (State) or (State, Logger)"));
    }

    [Test]
    public void CMP0002_StaticHandler()
    {
        Diagnostic d = Single("public sealed class A : Algorithm { [OnEvent(Event.BatchEnd)] public static void Apply(State state) { } }", "CMP0002");
        Assert.That(d.GetMessage(), Does.Contain("A.Apply").And.Contain("instance method"));
    }

    [Test]
    public void CMP0003_GenericHandler()
    {
        Diagnostic d = Single("public sealed class A : Algorithm { [OnEvent(Event.BatchEnd)] public void Apply<T>(State state) { } }", "CMP0003");
        Assert.That(d.GetMessage(), Does.Contain("remove them"));
    }

    [Test]
    public void CMP0004_PrivateHandler()
    {
        Diagnostic d = Single("public sealed class A : Algorithm { [OnEvent(Event.BatchEnd)] private void Apply(State state) { } }", "CMP0004");
        Assert.That(d.GetMessage(), Does.Contain("is private").And.Contain("public or internal"));
    }

    [Test]
    public void CMP0005_TrainerNotPartial()
    {
        Diagnostic d = Single("[Trainer] public class MyTrainer { }", "CMP0005");
        Assert.That(Marked(d, Usings + "[Trainer] public class MyTrainer { }"), Is.EqualTo("MyTrainer"));
        Assert.That(d.Severity, Is.EqualTo(DiagnosticSeverity.Error));
        Assert.That(d.GetMessage(), Does.Contain("must be declared partial"));
    }

    [TestCase("public static partial class Outer { [Trainer] public partial class MyTrainer; }", TestName = "CMP0006 nested")]
    [TestCase("[Trainer] public partial class MyTrainer<T>;", TestName = "CMP0006 generic")]
    public void CMP0006_TrainerNestedOrGeneric(string source)
    {
        Diagnostic d = Single(source, "CMP0006");
        Assert.That(Marked(d), Is.EqualTo("MyTrainer"));
    }

    [Test]
    public void CMP0007_TrainerWithBaseClass()
    {
        Diagnostic d = Single("public class Base { } [Trainer] public partial class MyTrainer : Base;", "CMP0007");
        Assert.That(d.GetMessage(), Does.Contain("derives from 'Base'").And.Contain("remove the base class"));
    }

    [Test]
    public void CMP0008_MemberListedTwice()
    {
        Diagnostic d = Single("""
            public sealed class A : Algorithm { [OnEvent(Event.BatchEnd)] public void Apply(State state) { } }
            [Trainer(typeof(A), typeof(A))] public partial class MyTrainer;
            """, "CMP0008");
        Assert.That(Marked(d), Is.EqualTo("typeof(A)"));
        Assert.That(d.Location.SourceSpan.Start, Is.GreaterThan(d.Location.SourceTree!.ToString().IndexOf("typeof(A)")), "points at the second one");
    }

    [TestCase("public sealed class NotAMember { [OnEvent(Event.BatchEnd)] public void Apply(State state) { } }", "typeof(NotAMember)", TestName = "CMP0009 no base class")]
    [TestCase("public sealed class G<T> : Algorithm { [OnEvent(Event.BatchEnd)] public void Apply(State state) { } }", "typeof(G<>)", TestName = "CMP0009 unbound generic")]
    [TestCase("public interface INotAClass { }", "typeof(INotAClass)", TestName = "CMP0009 interface")]
    public void CMP0009_InvalidMember(string declaration, string listed)
    {
        Diagnostic d = Single($"{declaration}\n[Trainer({listed})] public partial class MyTrainer;", "CMP0009");
        Assert.That(Marked(d), Is.EqualTo(listed));
        Assert.That(d.GetMessage(), Does.Contain("derive from Composer.Core.Algorithm or Composer.Core.Callback"));
    }

    [Test]
    public void CMP0010_MemberWithoutHandlersIsAWarning()
    {
        Diagnostic d = Single("public sealed class Idle : Callback { } [Trainer(typeof(Idle))] public partial class MyTrainer;", "CMP0010");
        Assert.That(d.Severity, Is.EqualTo(DiagnosticSeverity.Warning));
        Assert.That(d.GetMessage(), Does.Contain("never calls it"));
    }

    [Test]
    public void CMP0010_IsNotReportedForLoggerDestinations()
    {
        var diagnostics = GeneratorHarness.Analyze(
            "public sealed class Sink : Composer.Loggers.LoggerDestination { } [Trainer(typeof(Sink))] public partial class MyTrainer;");
        Assert.That(diagnostics.Select(d => d.Id), Does.Not.Contain("CMP0010"));
    }

    private const string Mixers = """
        public sealed class Mix1 : Algorithm { [OnEvent(Event.BeforeBackward)] [Rewrites(Rewrite.InterpolatedLoss)] public void Mix(State state) { } }
        public sealed class Mix2 : Algorithm { [OnEvent(Event.BeforeBackward)] [Rewrites(Rewrite.InterpolatedLoss)] public void Mix(State state) { } }
        public sealed class Smooth : Algorithm { [OnEvent(Event.BeforeLoss)] [Rewrites(Rewrite.Targets)] public void Smooth1(State state) { } }

        """;

    [Test]
    public void CMP0011_TwoLossInterpolatorsAreAWarning()
    {
        Diagnostic d = Single(Mixers + "[Trainer(typeof(Mix1), typeof(Smooth), typeof(Mix2))] public partial class MyTrainer;", "CMP0011");
        Assert.That(d.Severity, Is.EqualTo(DiagnosticSeverity.Warning));
        Assert.That(Marked(d), Is.EqualTo("typeof(Mix2)"));
        Assert.That(d.GetMessage(), Does.Contain("'Mix1' and 'Mix2' both interpolate the loss").And.Contain("turn interpolation off in one"));
    }

    // Composer warns only when both are created with interpolate_loss=True; the defaults mix the targets.
    private const string MixUpAndCutMix = """
        using Composer.Algorithms;
        [Trainer(typeof(MixUp), typeof(CutMix))] public partial class MyTrainer;
        public static class Build
        {
            public static MyTrainer Create(TrainerOptions options) => new MyTrainer(ARGUMENTS, options);
        }
        """;

    [TestCase("new MixUp(), new CutMix()")]
    [TestCase("new MixUp(0.2, interpolateLoss: true), new CutMix()")]
    [TestCase("new MixUp(interpolateLoss: false), new CutMix(interpolateLoss: true)")]
    public void CMP0011_IsNotReportedUnlessBothInterpolateTheLoss(string arguments)
    {
        var diagnostics = GeneratorHarness.Analyze(Usings + MixUpAndCutMix.Replace("ARGUMENTS", arguments));
        Assert.That(diagnostics, Is.Empty);
    }

    [TestCase("new MixUp(interpolateLoss: true), new CutMix(interpolateLoss: true)")]
    [TestCase("new MixUp(0.4, true), new CutMix(1.0, true)")]
    public void CMP0011_IsReportedWhereBothAreCreatedWithLossInterpolation(string arguments)
    {
        Diagnostic d = Single(MixUpAndCutMix.Replace("ARGUMENTS", arguments), "CMP0011");
        Assert.That(Marked(d), Does.StartWith("new MyTrainer("));
        Assert.That(d.GetMessage(), Does.Contain("'MixUp' and 'CutMix' both interpolate the loss in trainer 'MyTrainer'"));
    }

    [Test]
    public void CMP0011_OneLossInterpolatorWithOtherRewritesIsFine()
    {
        var diagnostics = GeneratorHarness.Analyze(Usings + Mixers + "[Trainer(typeof(Mix1), typeof(Smooth))] public partial class MyTrainer;");
        Assert.That(diagnostics, Is.Empty);
    }

    [Test]
    public void CMP0012_IncompatiblePairIsAnError()
    {
        Diagnostic d = Single("""
            public class Averaging : Algorithm { [OnEvent(Event.BatchEnd)] public void Update(State state) { } }
            public sealed class FastAveraging : Averaging { }
            [IncompatibleWith(typeof(Averaging), "both decide which weights the model ends with")]
            public sealed class Swa : Algorithm { [OnEvent(Event.EpochEnd)] public void Update(State state) { } }
            [Trainer(typeof(FastAveraging), typeof(Swa))] public partial class MyTrainer;
            """, "CMP0012");
        Assert.That(d.Severity, Is.EqualTo(DiagnosticSeverity.Error));
        Assert.That(Marked(d), Is.EqualTo("typeof(Swa)"));
        Assert.That(d.GetMessage(), Does.Contain("'Swa' cannot be combined with 'FastAveraging'").And.Contain("both decide which weights").And.Contain("Remove one"));
    }

    [Test]
    public void CMP0013_OrderingCycleNamesTheTypes()
    {
        Diagnostic d = Single("""
            public sealed class A : Algorithm { [OnEvent(Event.AfterLoss, RunsBefore = new[] { typeof(B) })] public void Apply(State state) { } }
            public sealed class B : Algorithm { [OnEvent(Event.AfterLoss, RunsBefore = new[] { typeof(C) })] public void Apply(State state) { } }
            public sealed class C : Algorithm { [OnEvent(Event.AfterLoss, RunsBefore = new[] { typeof(A) })] public void Apply(State state) { } }
            [Trainer(typeof(A), typeof(B), typeof(C))] public partial class MyTrainer;
            """, "CMP0013");
        Assert.That(d.Severity, Is.EqualTo(DiagnosticSeverity.Error));
        Assert.That(Marked(d), Is.EqualTo("MyTrainer"));
        Assert.That(d.GetMessage(), Does.Contain("Event.AfterLoss").And.Match("A -> B -> C -> A|B -> C -> A -> B|C -> A -> B -> C"));
    }

    [Test]
    public void CMP0013_ConstraintsThatAgreeAreNoCycle()
    {
        var diagnostics = GeneratorHarness.Analyze(Usings + """
            public sealed class A : Algorithm { [OnEvent(Event.AfterLoss, RunsBefore = new[] { typeof(B) })] public void Apply(State state) { } }
            public sealed class B : Algorithm { [OnEvent(Event.AfterLoss, RunsAfter = new[] { typeof(A) })] public void Apply(State state) { } }
            [Trainer(typeof(A), typeof(B))] public partial class MyTrainer;
            """);
        Assert.That(diagnostics, Is.Empty);
    }

    [Test]
    public void ValidTrainerHasNoDiagnosticsAndCompiles()
    {
        var diagnostics = GeneratorHarness.Analyze(Sources.QuickStart);
        Assert.That(diagnostics, Is.Empty);
        var (_, output) = GeneratorHarness.Generate(Sources.QuickStart);
        Assert.That(GeneratorHarness.CompilerProblems(output), Is.Empty);
    }

    [TestCase("_ = Time.Parse({|1.5ep|});", "'1.5ep' is not a whole number of ep", TestName = "CMP0014 Time.Parse")]
    [TestCase("_ = new Composer.Callbacks.CheckpointSaver(\"ckpt\", saveInterval: {|10 batches|});", "'10 batches' has no time unit",
        TestName = "CMP0014 a [TimeString] parameter")]
    [TestCase("_ = new Composer.Optim.MultiStepScheduler([\"10ba\", {|-2ep|}]);", "'-2ep' is negative", TestName = "CMP0014 a list element")]
    [TestCase("_ = new Composer.Algorithms.Ema(halfLife: {||});", "An empty string is not a time", TestName = "CMP0014 empty")]
    [TestCase("Mine.Use({|1x|});", "'1x' has no time unit", TestName = "CMP0014 the user's own parameter")]
    public void CMP0014_InvalidTimeString(string statement, string message)
    {
        // {|text|} marks the literal the error must point at.
        int start = statement.IndexOf("{|", StringComparison.Ordinal);
        string literal = "\"" + statement[(start + 2)..statement.IndexOf("|}", StringComparison.Ordinal)] + "\"";
        string code = statement[..start] + literal + statement[(statement.IndexOf("|}", StringComparison.Ordinal) + 2)..];
        string source = $$"""
            /// <summary>A user's own method taking a time string.</summary>
            public static class Mine { /// <summary>Uses it.</summary>
            public static void Use([TimeString] string every) { } }
            /// <summary>Builds things.</summary>
            public static class Build { /// <summary>Builds.</summary>
            public static void Run() { {{code}} } }
            """;
        Diagnostic d = Single(source, "CMP0014");
        Assert.That(Marked(d), Is.EqualTo(literal));
        Assert.That(d.Severity, Is.EqualTo(DiagnosticSeverity.Error));
        Assert.That(d.GetMessage(), Does.Contain(message).And.Contain("for example '1ep'"));
    }

    [Test]
    public void CMP0014_ValidTimeStringsAndComputedOnesAreNotReported()
    {
        var diagnostics = GeneratorHarness.Analyze(Usings + """
            /// <summary>Builds things.</summary>
            public static class Build { /// <summary>Builds.</summary>
            public static void Run(string fromTheCommandLine)
            {
                _ = Time.Parse("0.5dur"); _ = Time.Parse("1h30m"); _ = Time.Parse("3e4tok"); _ = Time.Parse(fromTheCommandLine);
                _ = new Composer.Algorithms.Ema("50ba", emaStart: "0.1dur");
                _ = new Composer.Optim.MultiStepScheduler(["10ba", "20ba"]);
            } }
            """);
        Assert.That(diagnostics, Is.Empty);
    }

    [TestCase("IterationEnd")]
    [TestCase("IterationCheckpoint")]
    public void CMP0015_HandlerOnAnEventNeverRaised(string @event)
    {
        Diagnostic d = Single($$"""
            /// <summary>Counts iterations.</summary>
            public sealed class PerIteration : Callback { /// <summary>Counts.</summary>
            [OnEvent(Event.{{@event}})] public void Count(State state) { } }
            [Trainer(typeof(PerIteration))] public partial class MyTrainer;
            """, "CMP0015");
        Assert.That(Marked(d), Is.EqualTo("typeof(PerIteration)"));
        Assert.That(d.Severity, Is.EqualTo(DiagnosticSeverity.Warning));
        Assert.That(d.GetMessage(), Does.Contain($"'PerIteration.Count' handles Event.{@event}").And.Contain("EpochEnd or FitEnd"));
    }

    [TestCase("state.Loss.item<float>()", "item")]
    [TestCase("state.Loss.ToSingle()", "ToSingle")]
    [TestCase("state.Outputs.argmax(1).data<long>()", "data")]
    [TestCase("state.Batch.Inputs.cpu()", "cpu")]
    public void CMP0016_DeviceSyncPerBatch(string read, string method)
    {
        string source = $$"""
            using TorchSharp;
            /// <summary>Watches the loss.</summary>
            public sealed class Watch : Callback { /// <summary>Reads.</summary>
            [OnEvent(Event.AfterLoss)] public void Read(State state) { _ = {{read}}; } }
            """;
        Diagnostic d = Single(source, "CMP0016");
        Assert.That(Marked(d), Is.EqualTo(read));
        Assert.That(d.Severity, Is.EqualTo(DiagnosticSeverity.Info));
        Assert.That(d.Id, Is.EqualTo("CMP0016"));
        Assert.That(d.GetMessage(), Does.Contain($"'{method}' on a tensor from State").And.Contain("'Watch.Read'")
            .And.Contain("Event.AfterLoss").And.Contain("LogTensorMetrics"));
    }

    [Test]
    public void CMP0016_NotOncePerEpochNorOnTensorsOfItsOwn()
    {
        var diagnostics = GeneratorHarness.Analyze(Usings + """
            /// <summary>Reads at the end of each epoch, and its own tensors every batch.</summary>
            public sealed class Fine : Callback
            {
                /// <summary>Once an epoch.</summary>
                [OnEvent(Event.EpochEnd)] public void Epoch(State state) { _ = state.Loss.item<float>(); }
                /// <summary>A host tensor of its own.</summary>
                [OnEvent(Event.BatchEnd)] public void Batch(State state) { using var t = TorchSharp.torch.ones(1); _ = t.item<float>(); }
            }
            """);
        Assert.That(diagnostics, Is.Empty);
    }

    [Test]
    public void CMP0017_CheckpointedFieldOfAnUnsupportedType()
    {
        string source = Usings + """
            /// <summary>Keeps a map.</summary>
            public sealed partial class Keeps : Callback { [Checkpointed] private System.Collections.Generic.Dictionary<string, int> _map = new(); }
            """;
        Diagnostic d = Single(source[Usings.Length..], "CMP0017");
        Assert.That(Marked(d, source), Is.EqualTo("_map"));
        Assert.That(d.GetMessage(), Does.Contain("'_map' is a System.Collections.Generic.Dictionary<string, int>").And.Contain("implement IStateful"));
    }

    [TestCase("public sealed class Keeps : Callback", "declare it partial", TestName = "CMP0018 not partial")]
    [TestCase("public sealed partial class Keeps : Callback, IStateful { public void SaveState(StateDict s) { } public void LoadState(StateDict s) { } }\n/// <summary>X</summary>\npublic sealed partial class Keeps",
        "already implements IStateful", TestName = "CMP0018 already stateful")]
    public void CMP0018_CheckpointedFieldsNeedAPartialClassOfTheirOwn(string declaration, string message)
    {
        string body = $"/// <summary>Keeps a count.</summary>\n{declaration} {{ [Checkpointed] private long _count; }}";
        string source = Usings + body;
        Diagnostic d = Single(body, "CMP0018");
        Assert.That(Marked(d, source), Is.EqualTo("Keeps"));
        Assert.That(d.GetMessage(), Does.Contain(message));
    }

    [TestCase("_count++;", "_count")]
    [TestCase("_sum += 1.5;", "_sum")]
    [TestCase("_sum = _sum * 0.9 + 1;", "_sum")]
    public void CMP0019_AHandlerAccumulatesIntoAFieldNoCheckpointKeeps(string statement, string field)
    {
        Diagnostic d = Single($$"""
            /// <summary>Counts.</summary>
            public sealed class Tally : Callback
            {
                private long _count;
                private double _sum;
                private double _stash;
                /// <summary>Counts.</summary>
                [OnEvent(Event.BatchEnd)] public void Add(State state) { {{statement}} _stash = 2; }
            }
            """, "CMP0019");
        Assert.That(Marked(d), Is.EqualTo(field));
        Assert.That(d.Severity, Is.EqualTo(DiagnosticSeverity.Warning));
        Assert.That(d.GetMessage(), Does.Contain($"'Tally.Add' accumulates into field '{field}' at Event.BatchEnd").And.Contain("[Checkpointed]"));
    }

    [TestCase("_kept = state.Loss.detach();", "state.Loss.detach()")]
    [TestCase("_kept = state.Outputs + 1;", "state.Outputs + 1")]
    [TestCase("s_last = state.Loss.clone();", "state.Loss.clone()")]
    public void CMP0020_ATensorMadeInAHandlerKeptInAField(string statement, string value)
    {
        Diagnostic d = Single($$"""
            /// <summary>Keeps a tensor.</summary>
            public sealed class Keep : Callback
            {
                private TorchSharp.torch.Tensor? _kept;
                private static TorchSharp.torch.Tensor? s_last;
                /// <summary>Keeps.</summary>
                [OnEvent(Event.BatchEnd)] public void Add(State state) { {{statement}} }
            }
            """, "CMP0020");
        Assert.That(Marked(d), Is.EqualTo(value));
        Assert.That(d.GetMessage(), Does.Contain("'Keep.Add'").And.Contain(".DetachFromDisposeScope()"));
    }

    [Test]
    public void CMP0020_NotForDetachedTensorsStateOrLocals()
    {
        var diagnostics = GeneratorHarness.Analyze(Usings + """
            /// <summary>Keeps tensors the right way.</summary>
            public sealed class Keep : Callback
            {
                private TorchSharp.torch.Tensor? _kept;
                private TorchSharp.torch.Tensor? _stash;
                /// <summary>Keeps.</summary>
                [OnEvent(Event.BatchEnd)] public void Add(State state)
                {
                    _kept = state.Loss.detach().DetachFromDisposeScope();
                    _stash = state.Loss;
                    state.Outputs = state.Outputs * 2;
                    var local = state.Loss * 3;
                }
            }
            """);
        Assert.That(diagnostics, Is.Empty);
    }

    private const string PredictingProgram = """
        using Composer;
        using Composer.Core;
        /// <summary>Keeps predictions.</summary>
        public sealed class Keeper : Callback { /// <summary>Keeps.</summary>
        [OnEvent(Event.PredictBatchEnd)] public void Keep(State state) { } }
        /// <summary>The trainer.</summary>
        [Trainer(typeof(Keeper))] public partial class MyTrainer;
        /// <summary>The program.</summary>
        public static class Program { /// <summary>Runs.</summary>
        public static void Main() { MyTrainer? t = null; CALL } }
        """;

    [Test]
    public void CMP0021_APredictHandlerInAProgramThatNeverPredicts()
    {
        var diagnostics = GeneratorHarness.CompileWithGenerator(OutputKind.ConsoleApplication, PredictingProgram.Replace("CALL", "_ = t;"));
        Diagnostic d = diagnostics.Single(x => x.Id == "CMP0021");
        Assert.That(d.Severity, Is.EqualTo(DiagnosticSeverity.Warning));
        Assert.That(d.Location.SourceTree!.ToString().Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length), Is.EqualTo("MyTrainer"));
        Assert.That(d.GetMessage(), Does.Contain("'Keeper.Keep' handles Event.PredictBatchEnd").And.Contain("never calls Predict on trainer 'MyTrainer'"));
    }

    [TestCase(OutputKind.ConsoleApplication, "t!.Predict(null!);", TestName = "CMP0021 not when the program predicts")]
    [TestCase(OutputKind.ConsoleApplication, "((Trainer)t!).Predict(null!);", TestName = "CMP0021 not when any trainer may predict")]
    [TestCase(OutputKind.DynamicallyLinkedLibrary, "_ = t;", TestName = "CMP0021 not in a library")]
    public void CMP0021_NotReported(OutputKind kind, string call)
    {
        var diagnostics = GeneratorHarness.CompileWithGenerator(kind, PredictingProgram.Replace("CALL", call));
        Assert.That(diagnostics.Select(d => d.Id), Does.Not.Contain("CMP0021"));
    }

    [Test]
    public void ANonPartialTrainerIsReportedByTheGeneratorAloneOnItsLine()
    {
        // Used as a new user would: constructed and fitted, in a build that runs no analyzer once it has errors.
        string source = Usings + """
            using Composer.Algorithms;
            [Trainer(typeof(Ema))] public class MyTrainer { }
            /// <summary>Uses the trainer.</summary>
            public static class Use
            {
                /// <summary>Trains.</summary>
                public static void Run(TrainerOptions o) => new MyTrainer(new Ema("1ba"), o).Fit();
            }
            """;
        var (_, output, reported) = GeneratorHarness.GenerateReporting(source);
        Assert.That(reported.Select(d => d.Id), Is.EqualTo(new[] { "CMP0005" }));
        Assert.That(reported[0].GetMessage(), Does.Contain("'MyTrainer' must be declared partial"));
        // One diagnostic on the declaration's line: the compiler's CS0260 is gone, as no partial half is generated.
        int line = reported[0].Location.GetLineSpan().StartLinePosition.Line;
        var onTheLine = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.GetLineSpan().StartLinePosition.Line == line);
        Assert.That(onTheLine, Is.Empty);
        Assert.That(output.GetDiagnostics().Select(d => d.Id), Does.Not.Contain("CS0260"));
        // With the fix, nothing is left anywhere.
        var (_, fixedOutput) = GeneratorHarness.Generate(source.Replace("public class MyTrainer", "public partial class MyTrainer"));
        Assert.That(GeneratorHarness.CompilerProblems(fixedOutput), Is.Empty);
    }
}
