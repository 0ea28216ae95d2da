using Composer.Core;

namespace Composer.Generators.Model;

/// <summary>Composer's rules about events that fix the order of calls; the events themselves are the runtime's enum.</summary>
internal static class Events
{
    /// <summary>Every event, in the enum's (Composer's) order.</summary>
    public static readonly Event[] All = (Event[])Enum.GetValues(typeof(Event));

    /// <summary>Whether the algorithms run first in, last out at <paramref name="event"/> (<see cref="EventOrder"/>).</summary>
    public static bool RunsInReverse(Event @event) => EventOrder.RunsInReverse(@event);

    /// <summary>Composer's Engine runs loggers, then callbacks, then algorithms at INIT; the reverse otherwise.</summary>
    public static bool IsInit(Event @event) => @event == Event.Init;
}
