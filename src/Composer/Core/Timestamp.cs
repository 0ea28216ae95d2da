namespace Composer.Core;

/// <summary>
/// Where training is, counted in every unit at once. Immutable: the Trainer replaces it with
/// <see cref="ToNextBatch"/> and <see cref="ToNextEpoch"/> as Composer's <c>Timestamp</c> does.
/// </summary>
public readonly record struct Timestamp
{
    /// <summary>Completed iterations.</summary>
    public long Iteration { get; init; }
    /// <summary>Completed epochs.</summary>
    public long Epoch { get; init; }
    /// <summary>Completed batches (optimizer steps).</summary>
    public long Batch { get; init; }
    /// <summary>Samples trained on.</summary>
    public long Sample { get; init; }
    /// <summary>Tokens trained on.</summary>
    public long Token { get; init; }
    /// <summary>Completed epochs in the current iteration.</summary>
    public long EpochInIteration { get; init; }
    /// <summary>Tokens trained on in the current iteration.</summary>
    public long TokenInIteration { get; init; }
    /// <summary>Completed batches in the current epoch.</summary>
    public long BatchInEpoch { get; init; }
    /// <summary>Samples trained on in the current epoch.</summary>
    public long SampleInEpoch { get; init; }
    /// <summary>Tokens trained on in the current epoch.</summary>
    public long TokenInEpoch { get; init; }
    /// <summary>Wall-clock time spent training, in total.</summary>
    public TimeSpan TotalWallClock { get; init; }
    /// <summary>Wall-clock time spent in the current iteration.</summary>
    public TimeSpan IterationWallClock { get; init; }
    /// <summary>Wall-clock time spent in the current epoch.</summary>
    public TimeSpan EpochWallClock { get; init; }
    /// <summary>Wall-clock time of the last batch.</summary>
    public TimeSpan BatchWallClock { get; init; }

    /// <summary>The count in <paramref name="unit"/>; <see cref="TimeUnit.Duration"/> needs a max duration, so it is not accepted.</summary>
    public double Get(TimeUnit unit) => unit switch
    {
        TimeUnit.Iteration => Iteration,
        TimeUnit.Epoch => Epoch,
        TimeUnit.Batch => Batch,
        TimeUnit.Sample => Sample,
        TimeUnit.Token => Token,
        TimeUnit.Second => TotalWallClock.TotalSeconds,
        _ => throw new ArgumentOutOfRangeException(nameof(unit), unit,
            "A timestamp has no duration of its own; use State.ElapsedDuration, which divides by the max duration."),
    };

    /// <summary>The timestamp after one more batch of <paramref name="samples"/> samples and <paramref name="tokens"/> tokens.</summary>
    public Timestamp ToNextBatch(long samples, long tokens, TimeSpan duration) => this with
    {
        Batch = Batch + 1,
        BatchInEpoch = BatchInEpoch + 1,
        Sample = Sample + samples,
        SampleInEpoch = SampleInEpoch + samples,
        Token = Token + tokens,
        TokenInEpoch = TokenInEpoch + tokens,
        TokenInIteration = TokenInIteration + tokens,
        TotalWallClock = TotalWallClock + duration,
        IterationWallClock = IterationWallClock + duration,
        EpochWallClock = EpochWallClock + duration,
        BatchWallClock = duration,
    };

    /// <summary>The timestamp at the start of the next epoch.</summary>
    public Timestamp ToNextEpoch() => this with
    {
        Epoch = Epoch + 1,
        EpochInIteration = EpochInIteration + 1,
        BatchInEpoch = 0,
        SampleInEpoch = 0,
        TokenInEpoch = 0,
        EpochWallClock = TimeSpan.Zero,
    };

    /// <summary>The timestamp at the start of the next iteration.</summary>
    public Timestamp ToNextIteration() => this with
    {
        Iteration = Iteration + 1,
        EpochInIteration = 0,
        TokenInIteration = 0,
        IterationWallClock = TimeSpan.Zero,
    };

    /// <summary>True while the timestamp has not reached <paramref name="time"/> in its unit.</summary>
    public static bool operator <(Timestamp timestamp, Time time) => timestamp.Get(time.Unit) < time.Value;
    /// <summary>True once the timestamp has passed <paramref name="time"/> in its unit.</summary>
    public static bool operator >(Timestamp timestamp, Time time) => timestamp.Get(time.Unit) > time.Value;
    /// <summary>True while the timestamp has not passed <paramref name="time"/> in its unit.</summary>
    public static bool operator <=(Timestamp timestamp, Time time) => timestamp.Get(time.Unit) <= time.Value;
    /// <summary>True once the timestamp has reached <paramref name="time"/> in its unit.</summary>
    public static bool operator >=(Timestamp timestamp, Time time) => timestamp.Get(time.Unit) >= time.Value;
}
