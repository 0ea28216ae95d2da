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

#pragma warning disable CS1591 // Fifty interchangeable members.
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
public sealed class Counting10 : CountingAlgorithm;
public sealed class Counting11 : CountingAlgorithm;
public sealed class Counting12 : CountingAlgorithm;
public sealed class Counting13 : CountingAlgorithm;
public sealed class Counting14 : CountingAlgorithm;
public sealed class Counting15 : CountingAlgorithm;
public sealed class Counting16 : CountingAlgorithm;
public sealed class Counting17 : CountingAlgorithm;
public sealed class Counting18 : CountingAlgorithm;
public sealed class Counting19 : CountingAlgorithm;
public sealed class Counting20 : CountingAlgorithm;
public sealed class Counting21 : CountingAlgorithm;
public sealed class Counting22 : CountingAlgorithm;
public sealed class Counting23 : CountingAlgorithm;
public sealed class Counting24 : CountingAlgorithm;
public sealed class Counting25 : CountingAlgorithm;
public sealed class Counting26 : CountingAlgorithm;
public sealed class Counting27 : CountingAlgorithm;
public sealed class Counting28 : CountingAlgorithm;
public sealed class Counting29 : CountingAlgorithm;
public sealed class Counting30 : CountingAlgorithm;
public sealed class Counting31 : CountingAlgorithm;
public sealed class Counting32 : CountingAlgorithm;
public sealed class Counting33 : CountingAlgorithm;
public sealed class Counting34 : CountingAlgorithm;
public sealed class Counting35 : CountingAlgorithm;
public sealed class Counting36 : CountingAlgorithm;
public sealed class Counting37 : CountingAlgorithm;
public sealed class Counting38 : CountingAlgorithm;
public sealed class Counting39 : CountingAlgorithm;
public sealed class Counting40 : CountingAlgorithm;
public sealed class Counting41 : CountingAlgorithm;
public sealed class Counting42 : CountingAlgorithm;
public sealed class Counting43 : CountingAlgorithm;
public sealed class Counting44 : CountingAlgorithm;
public sealed class Counting45 : CountingAlgorithm;
public sealed class Counting46 : CountingAlgorithm;
public sealed class Counting47 : CountingAlgorithm;
public sealed class Counting48 : CountingAlgorithm;
public sealed class Counting49 : CountingAlgorithm;
#pragma warning restore CS1591

/// <summary>The generated Trainer under test: ten algorithms on five events each.</summary>
[Trainer(typeof(Counting0), typeof(Counting1), typeof(Counting2), typeof(Counting3), typeof(Counting4),
    typeof(Counting5), typeof(Counting6), typeof(Counting7), typeof(Counting8), typeof(Counting9))]
public partial class DispatchTrainer;

/// <summary>One algorithm on five events: the smallest trainer of the scaling benchmark.</summary>
[Trainer(typeof(Counting0))]
public partial class OneMemberTrainer;

/// <summary>Fifty algorithms on five events each: the largest trainer of the scaling benchmark.</summary>
[Trainer(typeof(Counting0), typeof(Counting1), typeof(Counting2), typeof(Counting3), typeof(Counting4), typeof(Counting5), typeof(Counting6), typeof(Counting7), typeof(Counting8), typeof(Counting9), typeof(Counting10), typeof(Counting11), typeof(Counting12), typeof(Counting13), typeof(Counting14), typeof(Counting15), typeof(Counting16), typeof(Counting17), typeof(Counting18), typeof(Counting19), typeof(Counting20), typeof(Counting21), typeof(Counting22), typeof(Counting23), typeof(Counting24), typeof(Counting25), typeof(Counting26), typeof(Counting27), typeof(Counting28), typeof(Counting29), typeof(Counting30), typeof(Counting31), typeof(Counting32), typeof(Counting33), typeof(Counting34), typeof(Counting35), typeof(Counting36), typeof(Counting37), typeof(Counting38), typeof(Counting39), typeof(Counting40), typeof(Counting41), typeof(Counting42), typeof(Counting43), typeof(Counting44), typeof(Counting45), typeof(Counting46), typeof(Counting47), typeof(Counting48), typeof(Counting49))]
public partial class FiftyMemberTrainer;
