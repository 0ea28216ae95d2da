// Compiled into the generator too (COMPOSER_GENERATOR, internal there), so a time string is checked at build time by the
// same rules that parse it at run time.
using System.Globalization;
using System.Text.RegularExpressions;

namespace Composer.Core;

/// <summary>Composer's time strings: <c>"1ep"</c>, <c>"10ba"</c>, <c>"512sp"</c>, <c>"3e4tok"</c>, <c>"0.5dur"</c>, <c>"2iter"</c>, <c>"1h30m"</c>.</summary>
internal static class TimeParser
{
    /// <summary>What a time string may be, as the error messages say it.</summary>
    public const string AcceptedForms =
        "Use a non-negative whole number followed by iter, ep, ba, sp, tok or sec (for example '1ep', '10ba', '512sp', '3e4tok'), " +
        "a non-negative fraction of the run followed by dur (for example '0.5dur'), or a wall-clock time such as '1h30m' or '45s'.";

    private static readonly Regex UnitSuffix = new(@"^(.+?)(iter|ep|ba|sp|tok|dur|sec)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    private static readonly Regex WallClock = new(@"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    /// <summary>Reads <paramref name="text"/>; false with the reason in <paramref name="error"/> when it is not a time.</summary>
    public static bool TryParse(string? text, out double value, out TimeUnit unit, out string? error)
    {
        value = 0;
        unit = TimeUnit.Epoch;
        if (text is null || text.Trim().Length == 0)
        {
            error = $"An empty string is not a time. {AcceptedForms}";
            return false;
        }

        Match clock = WallClock.Match(text);
        if (clock.Success && clock.Length > 0)
        {
            value = 3600 * Group(clock, 1) + 60 * Group(clock, 2) + Group(clock, 3);
            unit = TimeUnit.Second;
            error = null;
            return true;
        }

        Match match = UnitSuffix.Match(text);
        if (!match.Success)
        {
            error = $"'{text}' has no time unit. {AcceptedForms}";
            return false;
        }
        if (!double.TryParse(match.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
        {
            error = $"'{text}' does not start with a number. {AcceptedForms}";
            return false;
        }
        unit = match.Groups[2].Value.ToLowerInvariant() switch
        {
            "iter" => TimeUnit.Iteration,
            "ep" => TimeUnit.Epoch,
            "ba" => TimeUnit.Batch,
            "sp" => TimeUnit.Sample,
            "tok" => TimeUnit.Token,
            "dur" => TimeUnit.Duration,
            _ => TimeUnit.Second,
        };
        if (double.IsNaN(value) || double.IsInfinity(value) || value < 0)
        {
            error = $"'{text}' is negative or not finite. {AcceptedForms}";
            return false;
        }
        if (unit != TimeUnit.Duration && value != Math.Floor(value))
        {
            error = $"'{text}' is not a whole number of {Suffix(unit)}. {AcceptedForms}";
            return false;
        }
        error = null;
        return true;
    }

    /// <summary>Composer's suffix for a unit: <c>ep</c>, <c>ba</c>, ...</summary>
    public static string Suffix(TimeUnit unit) => unit switch
    {
        TimeUnit.Iteration => "iter",
        TimeUnit.Epoch => "ep",
        TimeUnit.Batch => "ba",
        TimeUnit.Sample => "sp",
        TimeUnit.Token => "tok",
        TimeUnit.Duration => "dur",
        TimeUnit.Second => "sec",
        _ => throw new ArgumentOutOfRangeException(nameof(unit), unit, "Unknown time unit."),
    };

    private static long Group(Match match, int index) =>
        match.Groups[index].Success ? long.Parse(match.Groups[index].Value, CultureInfo.InvariantCulture) : 0;
}
