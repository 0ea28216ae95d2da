using Composer.Core;

namespace Composer.Generators.Model;

/// <summary>
/// The order of the calls at one event: Composer's Engine order (algorithms, callbacks, loggers, the reverse at
/// Init; algorithms first in, last out on the After* events), then the members' RunsBefore/RunsAfter
/// constraints, keeping that order wherever the constraints allow. The parser stores the result in the model, for
/// the emitter to print and the analyzer to check, so both see the same schedule.
/// </summary>
internal static class EventSchedule
{
    /// <summary>The calls at <paramref name="event"/> in order; <paramref name="cycle"/> names the members of a constraint cycle, when there is one.</summary>
    /// <param name="members">Each member with its subscriptions, in the trainer's order.</param>
    public static IReadOnlyList<Call> Order(IReadOnlyList<(MemberSpec Member, EquatableArray<Subscription> Subscriptions)> members, Event @event,
        out IReadOnlyList<string>? cycle)
    {
        List<Call> calls = EngineOrder(members, @event);
        cycle = null;
        if (!calls.Any(c => c.Subscription.RunsBefore.Count > 0 || c.Subscription.RunsAfter.Count > 0)) return calls;

        // An edge i -> j: call i must come before call j.
        var before = new List<int>[calls.Count];
        for (int i = 0; i < calls.Count; i++) before[i] = new List<int>();
        for (int i = 0; i < calls.Count; i++)
        {
            for (int j = 0; j < calls.Count; j++)
            {
                if (calls[i].Member == calls[j].Member) continue;
                if (calls[i].Subscription.RunsBefore.Contains(calls[j].Member.Index)) before[i].Add(j);
                if (calls[i].Subscription.RunsAfter.Contains(calls[j].Member.Index)) before[j].Add(i);
            }
        }

        // Stable topological sort: always take the earliest call in Engine order that nothing left must precede.
        var placed = new bool[calls.Count];
        var ordered = new List<Call>(calls.Count);
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
    public static string Comment(Event @event, IReadOnlyList<Call> calls)
    {
        var notes = new List<string>();
        foreach (Call call in calls)
        {
            // Only the constraints that bind here: the other member has a call at this event too.
            string[] first = call.Subscription.RunsBefore.Select(o => DisplayOf(calls, o)).OfType<string>().ToArray();
            string[] after = call.Subscription.RunsAfter.Select(o => DisplayOf(calls, o)).OfType<string>().ToArray();
            if (first.Length > 0) notes.Add($"{call.Member.DisplayName} before {string.Join(", ", first)}");
            if (after.Length > 0) notes.Add($"{call.Member.DisplayName} after {string.Join(", ", after)}");
        }
        bool reversed = Events.RunsInReverse(@event) && calls.Count(c => c.Member.Kind == MemberKind.Algorithm) > 1;
        string comment = reversed ? $"// Event.{@event}: algorithms first in, last out" : $"// Event.{@event}";
        if (notes.Count > 0) comment += (reversed ? "; " : ": ") + string.Join("; ", notes);
        return reversed || notes.Count > 0 ? comment + "." : comment;
    }

    private static string? DisplayOf(IReadOnlyList<Call> calls, int member) =>
        calls.FirstOrDefault(c => c.Member.Index == member)?.Member.DisplayName;

    private static List<Call> EngineOrder(IReadOnlyList<(MemberSpec Member, EquatableArray<Subscription> Subscriptions)> all, Event @event)
    {
        IEnumerable<(MemberSpec Member, EquatableArray<Subscription> Subscriptions)> Group(MemberKind kind)
        {
            var members = all.Where(m => m.Member.Kind == kind);
            return kind == MemberKind.Algorithm && Events.RunsInReverse(@event) ? members.Reverse() : members;
        }

        MemberKind[] order = Events.IsInit(@event)
            ? [MemberKind.Logger, MemberKind.Callback, MemberKind.Algorithm]
            : [MemberKind.Algorithm, MemberKind.Callback, MemberKind.Logger];
        return order.SelectMany(Group)
            .SelectMany(m => m.Subscriptions.Where(s => s.Event == @event).Select(s => new Call(m.Member, s)))
            .ToList();
    }

    // Every unplaced call has an unplaced predecessor, so walking predecessors must revisit a call.
    private static IReadOnlyList<string> FindCycle(List<Call> calls, List<int>[] before, bool[] placed)
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
