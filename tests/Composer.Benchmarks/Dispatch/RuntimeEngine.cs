using Composer.Core;
using Composer.Loggers;

namespace Composer.Benchmarks.Dispatch;

/// <summary>
/// The baseline of the dispatch benchmark only: an algorithm as Composer's Python engine sees one,
/// asked at every event whether it applies.
/// </summary>
public abstract class RuntimeAlgorithm
{
    /// <summary>Whether the algorithm runs at <paramref name="e"/>.</summary>
    public abstract bool Match(Event e, State state);

    /// <summary>Runs the algorithm at <paramref name="e"/>.</summary>
    public abstract void Apply(Event e, State state, Logger logger);
}

/// <summary><see cref="CountingAlgorithm"/> written for the run-time engine.</summary>
public sealed class RuntimeCountingAlgorithm : RuntimeAlgorithm
{
    /// <summary>How many times it applied.</summary>
    public long Calls { get; private set; }

    /// <inheritdoc/>
    public override bool Match(Event e, State state) =>
        e is Event.AfterDataloader or Event.BeforeForward or Event.BeforeLoss or Event.AfterBackward or Event.BatchEnd;

    /// <inheritdoc/>
    public override void Apply(Event e, State state, Logger logger) => Calls++;
}

/// <summary>
/// Composer's <c>Engine.run_event</c> in C#: at each event, collect the algorithms whose <c>Match</c> is
/// true, reverse them on <c>After*</c> events (FILO), then apply each. Like Composer, the loop fires every
/// event, whether or not anything subscribes to it.
/// </summary>
public sealed class RuntimeEngine(IReadOnlyList<RuntimeAlgorithm> algorithms, State state, Logger logger)
{
    /// <summary>Runs the algorithms that match <paramref name="e"/>.</summary>
    public void Run(Event e)
    {
        var toRun = new List<RuntimeAlgorithm>();
        foreach (RuntimeAlgorithm algorithm in algorithms)
            if (algorithm.Match(e, state)) toRun.Add(algorithm);
        if (EventOrder.RunsInReverse(e)) toRun.Reverse();
        foreach (RuntimeAlgorithm algorithm in toRun)
            algorithm.Apply(e, state, logger);
    }

}
