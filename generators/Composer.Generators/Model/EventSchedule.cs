using Composer.Core;

namespace Composer.Generators.Model;

/// <summary>One call at an event while the order is decided.</summary>
internal sealed record ScheduledCall(MemberSpec Member, HandlerSpec Handler);

/// <summary>
/// The order of the calls at one event: Composer's Engine order (algorithms, callbacks, loggers, the reverse at
/// Init; algorithms first in, last out on the After* events), then the members' RunsBefore/RunsAfter
/// constraints, keeping that order wherever the constraints allow. The parser stores the result in the model, for
/// the emitter to print and the analyzer to check, so both see the same schedule.
/// </summary>
internal static class EventSchedule
{
    /// <summary>The calls at <paramref name="event"/> in order; <paramref name="cycle"/> names the members of a constraint cycle, when there is one.</summary>
    public static IReadOnlyList<ScheduledCall> Order(IReadOnlyList<MemberSpec> members, Event @event, out IReadOnlyList<string>? cycle)
    {
        List<ScheduledCall> calls = EngineOrder(members, @event);
        cycle = null;
        if (!calls.Any(c => c.Handler.RunsBefore.Count > 0 || c.Handler.RunsAfter.Count > 0)) return calls;

        // An edge i -> j: call i must come before call j.
        var before = new List<int>[calls.Count];
        for (int i = 0; i < calls.Count; i++) before[i] = new List<int>();
        for (int i = 0; i < calls.Count; i++)
        {
            for (int j = 0; j < calls.Count; j++)
            {
                if (calls[i].Member == calls[j].Member) continue;
                if (calls[i].Handler.RunsBefore.Contains(calls[j].Member.FieldName)) before[i].Add(j);
                if (calls[i].Handler.RunsAfter.Contains(calls[j].Member.FieldName)) before[j].Add(i);
            }
        }

        // Stable topological sort: always take the earliest call in Engine order that nothing left must precede.
        var placed = new bool[calls.Count];
        var ordered = new List<ScheduledCall>(calls.Count);
        while (ordered.Count < calls.Count)
        {
            int next = -1;
            for (int i = 0; i < calls.Count && next < 0; i++)
                if (!placed[i] && !Enumerable.Range(0, calls.Count).Any(k => !placed[k] && before[k].Contains(i)))
                    next = i;
            if (next < 0)
            {
                cycle = FindCycle(calls, before, placed);
                return calls;
            }
            placed[next] = true;
            ordered.Add(calls[next]);
        }
        return ordered;
    }

    /// <summary>The comment above the calls: the event, and why they run in this order when it is not the list's.</summary>
    public static string Comment(Event @event, IReadOnlyList<ScheduledCall> calls)
    {
        var notes = new List<string>();
        foreach (ScheduledCall call in calls)
        {
            // Only the constraints that bind here: the other member has a call at this event too.
            string[] first = call.Handler.RunsBefore.Select(o => DisplayOf(calls, o)).OfType<string>().ToArray();
            string[] after = call.Handler.RunsAfter.Select(o => DisplayOf(calls, o)).OfType<string>().ToArray();
            if (first.Length > 0) notes.Add($"{call.Member.DisplayName} before {string.Join(", ", first)}");
            if (after.Length > 0) notes.Add($"{call.Member.DisplayName} after {string.Join(", ", after)}");
        }
        bool reversed = Events.RunsInReverse(@event) && calls.Count(c => c.Member.Kind == MemberKind.Algorithm) > 1;
        string comment = reversed ? $"// Event.{@event}: algorithms first in, last out" : $"// Event.{@event}";
        if (notes.Count > 0) comment += (reversed ? "; " : ": ") + string.Join("; ", notes);
        return reversed || notes.Count > 0 ? comment + "." : comment;
    }

    private static string? DisplayOf(IReadOnlyList<ScheduledCall> calls, string fieldName) =>
        calls.FirstOrDefault(c => c.Member.FieldName == fieldName)?.Member.DisplayName;

    private static List<ScheduledCall> EngineOrder(IReadOnlyList<MemberSpec> all, Event @event)
    {
        IEnumerable<MemberSpec> Group(MemberKind kind)
        {
            IEnumerable<MemberSpec> members = all.Where(m => m.Kind == kind);
            return kind == MemberKind.Algorithm && Events.RunsInReverse(@event) ? members.Reverse() : members;
        }

        MemberKind[] order = Events.IsInit(@event)
            ? [MemberKind.Logger, MemberKind.Callback, MemberKind.Algorithm]
            : [MemberKind.Algorithm, MemberKind.Callback, MemberKind.Logger];
        return order.SelectMany(Group)
            .SelectMany(m => m.Handlers.Where(h => h.Event == @event).Select(h => new ScheduledCall(m, h)))
            .ToList();
    }

    // Every unplaced call has an unplaced predecessor, so walking predecessors must revisit a call.
    private static IReadOnlyList<string> FindCycle(List<ScheduledCall> calls, List<int>[] before, bool[] placed)
    {
        int Predecessor(int i) => Enumerable.Range(0, calls.Count).First(k => !placed[k] && before[k].Contains(i));
        int start = Enumerable.Range(0, calls.Count).First(i => !placed[i]);
        var path = new List<int>();
        int current = start;
        while (!path.Contains(current))
        {
            path.Add(current);
            current = Predecessor(current);
        }
        // path walks backwards (each entry must follow the next); keep the loop and present it forwards.
        List<int> loop = path.Skip(path.IndexOf(current)).Reverse().ToList();
        loop.Add(loop[0]);
        return loop.Select(i => calls[i].Member.DisplayName).ToList();
    }
}
