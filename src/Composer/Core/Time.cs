using System.Globalization;

namespace Composer.Core;

/// <summary>
/// An amount of training time in one <see cref="TimeUnit"/>, as Composer writes it: <c>"1ep"</c>,
/// <c>"10ba"</c>, <c>"512sp"</c>, <c>"3e4tok"</c>, <c>"0.5dur"</c>, <c>"2iter"</c> or <c>"1h30m"</c>.
/// </summary>
/// <remarks>
/// Every unit but <see cref="TimeUnit.Duration"/> counts whole numbers. Addition, subtraction and
/// comparison need both sides in the same unit; dividing two times of one unit gives a duration.
/// </remarks>
public readonly struct Time : IEquatable<Time>, IComparable<Time>
{
    private const string AcceptedForms = TimeParser.AcceptedForms;

    /// <summary>Creates a time; throws when the value does not fit the unit.</summary>
    public Time(double value, TimeUnit unit)
    {
        if (double.IsNaN(value) || double.IsInfinity(value) || value < 0)
            throw new ArgumentOutOfRangeException(nameof(value), value, $"A time must be finite and non-negative. {AcceptedForms}");
        if (unit != TimeUnit.Duration && value != Math.Floor(value))
            throw new ArgumentOutOfRangeException(nameof(value), value, $"A time in {Suffix(unit)} must be a whole number. {AcceptedForms}");
        Value = value;
        Unit = unit;
    }

    /// <summary>The amount, a whole number unless the unit is <see cref="TimeUnit.Duration"/>.</summary>
    public double Value { get; }

    /// <summary>The unit the amount is counted in.</summary>
    public TimeUnit Unit { get; }

    /// <summary>The whole-number amount; for a duration, the amount rounded down.</summary>
    public long Count => (long)Value;

    /// <summary>A number of iterations.</summary>
    public static Time FromIterations(long count) => new(count, TimeUnit.Iteration);
    /// <summary>A number of epochs.</summary>
    public static Time FromEpochs(long count) => new(count, TimeUnit.Epoch);
    /// <summary>A number of batches.</summary>
    public static Time FromBatches(long count) => new(count, TimeUnit.Batch);
    /// <summary>A number of samples.</summary>
    public static Time FromSamples(long count) => new(count, TimeUnit.Sample);
    /// <summary>A number of tokens.</summary>
    public static Time FromTokens(long count) => new(count, TimeUnit.Token);
    /// <summary>A fraction of the whole run.</summary>
    public static Time FromDuration(double fraction) => new(fraction, TimeUnit.Duration);
    /// <summary>A number of wall-clock seconds.</summary>
    public static Time FromSeconds(long seconds) => new(seconds, TimeUnit.Second);

    /// <summary>Parses Composer's time strings; see <see cref="Time"/> for the accepted forms.</summary>
    /// <exception cref="FormatException">The text is not a time; the message lists the accepted forms.</exception>
    public static Time Parse(string text)
    {
        if (TryParse(text, out Time time, out string? error)) return time;
        throw new FormatException(error);
    }

    /// <summary>Parses Composer's time strings without throwing.</summary>
    public static bool TryParse(string? text, out Time time) => TryParse(text, out time, out _);

    private static bool TryParse(string? text, out Time time, out string? error)
    {
        bool parsed = TimeParser.TryParse(text, out double value, out TimeUnit unit, out error);
        time = parsed ? new Time(value, unit) : default;
        return parsed;
    }

    /// <summary>Composer's suffix for a unit: <c>ep</c>, <c>ba</c>, ...</summary>
    public static string Suffix(TimeUnit unit) => TimeParser.Suffix(unit);

    /// <summary>The time in Composer's form, for example <c>10ba</c>.</summary>
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture) + Suffix(Unit);

    private static void RequireSameUnit(Time left, Time right, string operation)
    {
        if (left.Unit != right.Unit)
            throw new InvalidOperationException(
                $"Cannot {operation} {left} and {right}: both times must have the same unit. Convert one of them first.");
    }

    /// <summary>Adds two times of the same unit.</summary>
    public static Time operator +(Time left, Time right)
    {
        RequireSameUnit(left, right, "add");
        return new Time(left.Value + right.Value, left.Unit);
    }

    /// <summary>Subtracts two times of the same unit; the result must not be negative.</summary>
    public static Time operator -(Time left, Time right)
    {
        RequireSameUnit(left, right, "subtract");
        return new Time(left.Value - right.Value, left.Unit);
    }

    /// <summary>The ratio of two times of the same unit, as a duration.</summary>
    public static Time operator /(Time left, Time right)
    {
        RequireSameUnit(left, right, "divide");
        return FromDuration(left.Value / right.Value);
    }

    /// <summary>A bare whole number is a number of epochs, as in Composer (<c>MaxDuration = 5</c>, <c>EvalInterval = 2</c>).</summary>
    public static implicit operator Time(int epochs) => FromEpochs(epochs);

    /// <summary>Scales a time; whole-number units must stay whole.</summary>
    public static Time operator *(Time time, double factor) => new(time.Value * factor, time.Unit);

    /// <summary>Scales a time; whole-number units must stay whole.</summary>
    public static Time operator *(double factor, Time time) => time * factor;

    /// <inheritdoc/>
    public int CompareTo(Time other)
    {
        RequireSameUnit(this, other, "compare");
        return Value.CompareTo(other.Value);
    }

    /// <inheritdoc/>
    public bool Equals(Time other) => Unit == other.Unit && Value.Equals(other.Value);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Time other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Value, Unit);

    /// <summary>Equal when both the value and the unit are equal.</summary>
    public static bool operator ==(Time left, Time right) => left.Equals(right);
    /// <summary>Different value or unit.</summary>
    public static bool operator !=(Time left, Time right) => !left.Equals(right);
    /// <summary>Compares two times of the same unit.</summary>
    public static bool operator <(Time left, Time right) => left.CompareTo(right) < 0;
    /// <summary>Compares two times of the same unit.</summary>
    public static bool operator >(Time left, Time right) => left.CompareTo(right) > 0;
    /// <summary>Compares two times of the same unit.</summary>
    public static bool operator <=(Time left, Time right) => left.CompareTo(right) <= 0;
    /// <summary>Compares two times of the same unit.</summary>
    public static bool operator >=(Time left, Time right) => left.CompareTo(right) >= 0;
}
