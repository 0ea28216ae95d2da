using Composer.Generators.Model;

namespace Composer.Generators.Emitting;

/// <summary>
/// Writes a Trainer's second file: the class documentation with a link to every method at every event, and the same
/// schedule as data (<c>Trainer.Schedule</c>), so a program or a test can read the order before the run starts.
/// </summary>
internal static class ScheduleEmitter
{
    private const string EventType = "global::Composer.Core.Event";
    private const string ScheduledCall = "global::Composer.Core.ScheduledCall";

    public static string Emit(TrainerSpec spec)
    {
        var w = new SourceWriter();
        w.FileStart($"The schedule of {spec.FullName}, which the Composer generator wrote from its [Trainer] attribute.", spec.Namespace);
        WriteClassDocumentation(w, spec);
        w.Open($"partial class {spec.ClassName}");
        w.Line("/// <summary>The calls compiled into the loop at each event, in order, known before the run starts.</summary>");
        w.Line($"protected override global::System.Collections.Generic.IReadOnlyList<{ScheduledCall}>");
        w.Line("    CompiledSchedule => s_schedule;");
        w.Line();
        if (spec.Schedule.Count == 0)
        {
            w.Line($"private static readonly {ScheduledCall}[] s_schedule =");
            w.Line($"    global::System.Array.Empty<{ScheduledCall}>();");
        }
        else
        {
            w.Line($"private static readonly {ScheduledCall}[] s_schedule =");
            w.OpenBrace();
            foreach (EventCalls at in spec.Schedule)
                foreach (Call call in at.Calls)
                {
                    string head = $"new({EventType}.{at.Event}, typeof({call.Member.TypeName}),";
                    string method = $"\"{call.Subscription.MethodName}\"),";
                    // Eight columns of indentation: the rest of a screen's 120.
                    if (head.Length + 1 + method.Length <= 112)
                    {
                        w.Line(head + " " + method);
                    }
                    else
                    {
                        w.Line(head);
                        w.Line("    " + method);
                    }
                }
            w.Close("};");
        }
        w.Close();
        return w.ToString();
    }

    private static void WriteClassDocumentation(SourceWriter w, TrainerSpec spec)
    {
        w.Line("/// <summary>");
        if (spec.Members.Count == 0)
        {
            w.Line("/// Composer's training loop with no algorithms or callbacks.");
        }
        else
        {
            w.Line("/// Composer's training loop composed with");
            for (int i = 0; i < spec.Members.Count; i++)
                w.Line($"/// <see cref=\"{spec.Members[i].TypeName}\"/>{(i == spec.Members.Count - 1 ? "." : ",")}");
        }
        w.Line("/// </summary>");
        if (spec.Schedule.Count == 0) return;
        w.Line("/// <remarks>");
        w.Line("/// The calls at each event, in order:");
        w.Line("/// <list type=\"table\">");
        foreach (EventCalls at in spec.Schedule)
        {
            w.Line("/// <item>");
            w.Line($"/// <term><see cref=\"{EventType}.{at.Event}\"/></term>");
            w.Line("/// <description>");
            for (int i = 0; i < at.Calls.Count; i++)
                w.Line($"/// <see cref=\"{at.Calls[i].Subscription.Cref}\"/>{(i == at.Calls.Count - 1 ? "" : ",")}");
            w.Line("/// </description>");
            w.Line("/// </item>");
        }
        w.Line("/// </list>");
        w.Line("/// </remarks>");
    }
}
