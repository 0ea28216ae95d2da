using Composer.Core;

namespace Composer.Benchmarks.Dispatch;

/// <summary>
/// An algorithm on five events whose only work is counting, so what is measured is the cost of reaching it.
/// Ten distinct subclasses make the ten members of <see cref="DispatchTrainer"/>.
/// </summary>
public abstract class CountingAlgorithm : Algorithm
{
    /// <summary>How many times any of its methods ran.</summary>
    public long Calls { get; private set; }

    [OnEvent(Event.AfterDataloader)]
    public void OnAfterDataloader(State state) => Calls++;

    [OnEvent(Event.BeforeForward)]
    public void OnBeforeForward(State state) => Calls++;

    [OnEvent(Event.BeforeLoss)]
    public void OnBeforeLoss(State state) => Calls++;

    [OnEvent(Event.AfterBackward)]
    public void OnAfterBackward(State state) => Calls++;

    [OnEvent(Event.BatchEnd)]
    public void OnBatchEnd(State state) => Calls++;
}

#pragma warning disable CS1591 // Ten interchangeable members.
public sealed class Counting0 : CountingAlgorithm;
public sealed class Counting1 : CountingAlgorithm;
public sealed class Counting2 : CountingAlgorithm;
public sealed class Counting3 : CountingAlgorithm;
public sealed class Counting4 : CountingAlgorithm;
public sealed class Counting5 : CountingAlgorithm;
public sealed class Counting6 : CountingAlgorithm;
public sealed class Counting7 : CountingAlgorithm;
public sealed class Counting8 : CountingAlgorithm;
public sealed class Counting9 : CountingAlgorithm;
#pragma warning restore CS1591

/// <summary>The generated Trainer under test: ten algorithms on five events each.</summary>
[Trainer(typeof(Counting0), typeof(Counting1), typeof(Counting2), typeof(Counting3), typeof(Counting4),
    typeof(Counting5), typeof(Counting6), typeof(Counting7), typeof(Counting8), typeof(Counting9))]
public partial class DispatchTrainer;
