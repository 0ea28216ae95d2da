using Composer.Core;
using Composer.Loggers;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Callbacks;

/// <summary>
/// Logs statistics of every layer's input and output activations at an interval, as
/// <c>composer.callbacks.ActivationMonitor</c>: over the last dimension (the hidden size), averaged over the rest,
/// <c>activations/max/{module}_input.0</c>, <c>activations/average/...</c>, <c>activations/l2_norm/...</c> and
/// <c>activations/kurtosis/...</c>, and the same for <c>_output.0</c>; for floating-point tensors only.
/// </summary>
/// <remarks>
/// At <see cref="Event.BeforeForward"/> of a due batch it registers a forward hook on every submodule of the model that
/// takes and returns a tensor (the model itself takes a <see cref="Data.Batch"/> and has none), and at
/// <see cref="Event.AfterForward"/> removes them: between intervals the model runs without hooks and the handlers only
/// compare a counter. The statistics are logged as tensors, read at the next flush. Hooks run when a module is called
/// (<c>module.call(x)</c>, as <c>nn.Sequential</c> does), not when its <c>forward</c> is invoked directly. List it in
/// <c>[Trainer(...)]</c>: its events are inside the training step.
/// </remarks>
public sealed class ActivationMonitor : Callback
{
    private readonly List<nn.HookableModule<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor>, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor>>.HookRemover> _hooks = [];
    private long _lastLogged = -1;
    private Logger? _logger;

    /// <summary>Creates the monitor.</summary>
    /// <param name="interval">How often, in <c>ba</c> or <c>ep</c> (Composer's default <c>25ba</c>).</param>
    /// <param name="ignoreModuleTypes">Modules whose names contain any of these are skipped (<c>"dropout"</c>, <c>"ln"</c>).</param>
    public ActivationMonitor([TimeString] string interval = "25ba", IReadOnlyList<string>? ignoreModuleTypes = null)
    {
        Interval = Time.Parse(interval);
        if (Interval.Unit is not (TimeUnit.Batch or TimeUnit.Epoch) || Interval.Value < 1)
            throw new ArgumentException($"Invalid time unit for parameter interval: {Interval}; use batches or epochs, such as \"25ba\".", nameof(interval));
        IgnoreModuleTypes = ignoreModuleTypes ?? [];
    }

    /// <summary>How often activations are logged.</summary>
    public Time Interval { get; }

    /// <summary>Substrings of module names that are skipped.</summary>
    public IReadOnlyList<string> IgnoreModuleTypes { get; }

    /// <summary>At a due batch, hooks every tensor-to-tensor submodule.</summary>
    [OnEvent(Event.BeforeForward)]
    public void Attach(State state, Logger logger)
    {
        if (!IsDue(state)) return;
        _logger = logger;
        foreach ((string name, nn.Module module) in state.Model.named_modules())
        {
            if (name.Length == 0 || module is not nn.Module<Tensor, Tensor> layer || IgnoreModuleTypes.Any(name.Contains)) continue;
            string moduleName = name;
            _hooks.Add(layer.register_forward_hook((_, input, output) =>
            {
                Record($"{moduleName}_input.0", input);
                Record($"{moduleName}_output.0", output);
                return null!;
            }));
        }
    }

    /// <summary>Removes the hooks after the forward pass of a due batch.</summary>
    [OnEvent(Event.AfterForward)]
    public void Detach(State state)
    {
        if (!IsDue(state)) return;
        _lastLogged = (long)state.Timestamp.Get(Interval.Unit);
        foreach (var hook in _hooks) hook.remove();
        _hooks.Clear();
    }

    private bool IsDue(State state)
    {
        long now = (long)state.Timestamp.Get(Interval.Unit);
        return now % (long)Interval.Value == 0 && now != _lastLogged;
    }

    private void Record(string name, Tensor value)
    {
        if (value is null || !value.is_floating_point() || value.dim() == 0) return;
        using var scope = NewDisposeScope();
        Tensor x = value.detach();
        Logger logger = _logger!;
        logger.LogTensorMetrics($"activations/l2_norm/{name}", linalg.vector_norm(x, dims: [-1]).mean());
        logger.LogTensorMetrics($"activations/average/{name}", x.mean());
        logger.LogTensorMetrics($"activations/kurtosis/{name}", Kurtosis(x));
        logger.LogTensorMetrics($"activations/max/{name}", x.max(-1).values.mean());
    }

    /// <summary>Composer's kurtosis over the last dimension: E[(x − μ)⁴] / E[(x − μ)²]², averaged over the rest.</summary>
    public static Tensor Kurtosis(Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Tensor differences = value - value.mean([-1], keepdim: true);
        Tensor fourth = differences.pow(4).mean([-1]);
        Tensor variance = differences.pow(2).mean([-1]);
        return (fourth / variance.pow(2)).mean();
    }
}
