using System.ComponentModel;
using System.Reflection;
using Composer.Core;
using Composer.Loggers;

namespace Composer;

/// <summary>
/// The callbacks and logger destinations given in <see cref="TrainerOptions.Callbacks"/> and
/// <see cref="TrainerOptions.Loggers"/>, as Composer's <c>callbacks=[...]</c> and <c>loggers=[...]</c>: their
/// <see cref="OnEventAttribute"/> methods are bound once, when the trainer is built, and the generated loop calls
/// <see cref="Run"/> at each event outside the training step, after the compiled calls (before them at
/// <see cref="Event.Init"/>, as Composer's Engine runs callbacks first there).
/// </summary>
/// <remarks>
/// The training step's events (<see cref="EventOrder.IsStepEvent"/>) belong to the members compiled into the loop:
/// there the algorithms change the batch, the loss and the gradients, and no call is made at run time. Among the
/// members given here, the callbacks run in their order, then the loggers; <see cref="OnEventAttribute.RunsBefore"/>
/// and <see cref="OnEventAttribute.RunsAfter"/> order compiled members only.
/// </remarks>
public sealed class OptionCallbacks
{
    private readonly State _state;
    private readonly Logger _logger;
    private readonly Action<State, Logger>[][] _handlers;

    internal OptionCallbacks(State state, Logger logger, IReadOnlyList<object> members)
    {
        _state = state;
        _logger = logger;
        var byEvent = new List<Action<State, Logger>>[Enum.GetValues<Event>().Length];
        var schedule = new List<ScheduledCall>();
        foreach (object member in members)
        {
            foreach ((Event @event, MethodInfo method) in Subscriptions(member.GetType()))
            {
                (byEvent[(int)@event] ??= []).Add(Bind(member, method));
                schedule.Add(new ScheduledCall(@event, member.GetType(), method.Name));
            }
        }
        _handlers = byEvent.Select(h => h?.ToArray() ?? []).ToArray();
        // Composer's Engine order for each event; the calls of one member keep their declaration order.
        Schedule = [.. schedule.OrderBy(c => c.Event)];
    }

    /// <summary>The calls made at run time, by event, in the order they run.</summary>
    public IReadOnlyList<ScheduledCall> Schedule { get; }

    /// <summary>Calls the given members' methods for <paramref name="event"/>, in order.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void Run(Event @event)
    {
        Action<State, Logger>[] handlers = _handlers[(int)@event];
        for (int i = 0; i < handlers.Length; i++) handlers[i](_state, _logger);
    }

    /// <summary>
    /// Checks the members given in <paramref name="options"/> and returns them, callbacks first: none null, no
    /// algorithm, loggers in <see cref="TrainerOptions.Loggers"/>, and no handler on a training-step event.
    /// </summary>
    /// <exception cref="ArgumentException">A member cannot be given at run time; the message names the fix.</exception>
    internal static IReadOnlyList<object> Check(TrainerOptions options)
    {
        var members = new List<object>();
        foreach (Callback? callback in options.Callbacks ?? [])
        {
            if (callback is null)
                throw new ArgumentException("TrainerOptions.Callbacks holds a null entry.", nameof(options));
            if (callback is LoggerDestination)
                throw new ArgumentException(
                    $"{callback.GetType().Name} is a logger destination: give it in TrainerOptions.Loggers, so it receives the logged values.",
                    nameof(options));
            members.Add(callback);
        }
        foreach (LoggerDestination? destination in options.Loggers ?? [])
        {
            if (destination is null)
                throw new ArgumentException("TrainerOptions.Loggers holds a null entry.", nameof(options));
            members.Add(destination);
        }
        foreach (object member in members)
            foreach ((Event @event, MethodInfo method) in Subscriptions(member.GetType()))
                if (EventOrder.IsStepEvent(@event))
                    throw new ArgumentException(
                        $"{member.GetType().Name}.{method.Name} handles Event.{@event}, inside the training step, where only members compiled " +
                        $"into the loop run. List {member.GetType().Name} in the trainer's [Trainer(typeof(...))] instead of TrainerOptions.",
                        nameof(options));
        return members;
    }

    private static IEnumerable<(Event Event, MethodInfo Method)> Subscriptions(Type type)
    {
        const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
        // Base types first, each in declaration order (metadata order), as the generator reads them.
        var hierarchy = new List<Type>();
        for (Type? t = type; t is not null && t != typeof(object); t = t.BaseType) hierarchy.Insert(0, t);
        foreach (Type declaring in hierarchy)
        {
            foreach (MethodInfo method in declaring.GetMethods(Instance | BindingFlags.DeclaredOnly).OrderBy(m => m.MetadataToken))
            {
                foreach (OnEventAttribute attribute in method.GetCustomAttributes<OnEventAttribute>(inherit: false))
                {
                    RequireHandler(type, method);
                    yield return (attribute.Event, method);
                }
            }
        }
    }

    // The rules the generator checks at build time (CMP0001-CMP0004), checked here when the trainer is built.
    private static void RequireHandler(Type type, MethodInfo method)
    {
        ParameterInfo[] parameters = method.GetParameters();
        bool signature = method.ReturnType == typeof(void) && parameters.Length is 1 or 2
            && parameters[0].ParameterType == typeof(State) && (parameters.Length == 1 || parameters[1].ParameterType == typeof(Logger));
        if (!signature || method.IsGenericMethodDefinition || !(method.IsPublic || method.IsAssembly || method.IsFamilyOrAssembly))
            throw new ArgumentException(
                $"{type.Name}.{method.Name} has [OnEvent] but is not a public non-generic void method taking (State) or (State, Logger).");
    }

    private static Action<State, Logger> Bind(object member, MethodInfo method)
    {
        if (method.GetParameters().Length == 2)
            return method.CreateDelegate<Action<State, Logger>>(member);
        Action<State> call = method.CreateDelegate<Action<State>>(member);
        return (state, _) => call(state);
    }
}
