namespace Composer.Core;

/// <summary>
/// Tells when training passes another multiple of an interval in samples, tokens or duration, which advance in
/// uneven steps (batches and epochs are checked with a modulo instead). Shared by evaluation and checkpointing.
/// </summary>
internal sealed class IntervalCounter(Time interval)
{
    /// <summary>The number of whole intervals passed when last asked.</summary>
    public double Last { get; set; }

    /// <summary>The number of whole intervals passed at <paramref name="state"/>'s timestamp.</summary>
    public double Count(State state)
    {
        if (interval.Value == 0) return 0;
        double now = interval.Unit switch
        {
            TimeUnit.Sample => state.Timestamp.Sample,
            TimeUnit.Token => state.Timestamp.Token,
            TimeUnit.Duration => state.ElapsedDuration.Value,
            _ => 0,
        };
        return Math.Floor(now / interval.Value);
    }

    /// <summary>True when another multiple has been passed since the last call.</summary>
    public bool Crossed(State state)
    {
        double count = Count(state);
        bool crossed = count > Last;
        Last = count;
        return crossed;
    }
}
