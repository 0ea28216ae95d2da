using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Optim;

/// <summary>
/// Adam with decoupled weight decay, Composer's <c>DecoupledAdamW</c> (Loshchilov and Hutter, 2019, arXiv:1711.05101):
/// unlike <c>torch.optim.AdamW</c>, whose decay is <c>lr × weight_decay</c>, the weights shrink by
/// <c>weightDecay × lr / initial lr</c> each step, so the decay follows the schedule but not the rate's size. Composer's
/// defaults: betas (0.9, 0.95) and weight decay 1e-5.
/// </summary>
/// <remarks>
/// It is TorchSharp's <see cref="AdamW"/> with another step: its parameter groups, options and saved state are AdamW's,
/// so checkpoints, schedules and surgery treat it as AdamW. The step creates its scalars once per group (and the two that
/// depend on a parameter's step count once per parameter) and disposes them; TorchSharp's own <c>Adam.step</c> leaves
/// its scalars to the finalizer.
/// </remarks>
public sealed class DecoupledAdamW : AdamW, IReportsParameterMetrics
{
    /// <summary>Creates the optimizer.</summary>
    /// <param name="parameters">The parameters to train.</param>
    /// <param name="lr">The learning rate.</param>
    /// <param name="beta1">The decay of the gradients' running average.</param>
    /// <param name="beta2">The decay of the squared gradients' running average.</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="weightDecay">The decoupled decay: each step multiplies the weights by <c>1 − weightDecay × lr / initial lr</c>.</param>
    /// <param name="amsgrad">The AMSGrad variant: the largest squared average so far in the denominator.</param>
    public DecoupledAdamW(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.95, double eps = 1e-8,
        double weightDecay = 1e-5, bool amsgrad = false)
        : base(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad)
    {
    }

    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        Options options = group.Options;
        double lr = options.LearningRate!.Value, initial = options.InitialLearningRate;
        double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value, weightDecay = options.weight_decay!.Value;
        bool amsgrad = options.amsgrad!.Value;
        double decay = initial != 0 ? lr / initial : 1.0;
        using Scalar beta1Scalar = beta1.ToScalar(), oneMinusBeta1 = (1 - beta1).ToScalar();
        using Scalar beta2Scalar = beta2.ToScalar(), oneMinusBeta2 = (1 - beta2).ToScalar();
        using Scalar eps = options.eps!.Value.ToScalar(), shrink = (1 - decay * weightDecay).ToScalar();
        foreach (Parameter parameter in group.Parameters)
        {
            using Tensor? grad = parameter.grad;
            if (grad is null || !parameter.requires_grad) continue;
            var state = (State)_state[parameter.Handle];
            state.step += 1;
            if (weightDecay != 0) parameter.mul_(shrink);
            double correction1 = 1 - Math.Pow(beta1, state.step), correction2 = 1 - Math.Pow(beta2, state.step);
            state.exp_avg.mul_(beta1Scalar).add_(grad, oneMinusBeta1);
            state.exp_avg_sq.mul_(beta2Scalar).addcmul_(grad, grad, oneMinusBeta2);
            Tensor second = state.exp_avg_sq;
            if (amsgrad)
            {
                state.max_exp_avg_sq ??= zeros_like(state.exp_avg_sq).DetachFromDisposeScope();
                using (Tensor larger = torch.maximum(state.max_exp_avg_sq, state.exp_avg_sq))
                    state.max_exp_avg_sq.copy_(larger);
                second = state.max_exp_avg_sq;
            }
            using Scalar rootCorrection2 = Math.Sqrt(correction2).ToScalar(), stepSize = (-lr / correction1).ToScalar();
            using Tensor denominator = second.sqrt().div_(rootCorrection2).add_(eps);
            parameter.addcdiv_(state.exp_avg, denominator, stepSize);
        }
    }, closure);

    /// <inheritdoc/>
    /// <remarks>
    /// Composer's metric functions: <c>l2_norm/moment</c> (of the first moment), <c>l2_norm/param</c>,
    /// <c>l2_norm/update</c> (of <c>lr / (1 − β1^t) · m / (√v / √(1 − β2^t) + ε) − weightDecay · lr / initial lr · p</c>,
    /// the step with the first group's options, as Composer computes it) and <c>l2_norm/grad</c>; and
    /// <c>l2_norm/second_moment_sqrt</c>, the norm of √v. Nothing is added for a parameter that has not stepped yet.
    /// </remarks>
    public void ReportParameterMetrics(Parameter parameter, string name, IDictionary<string, Tensor> metrics)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(metrics);
        if (!_state.TryGetValue(parameter.Handle, out var found) || found is not State state || state.step == 0) return;
        Options options = ((ParamGroup)ParamGroups.First()).Options;
        double lr = options.LearningRate!.Value, initial = options.InitialLearningRate;
        double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value, weightDecay = options.weight_decay!.Value;
        double correction1 = 1 - Math.Pow(beta1, state.step), correction2 = 1 - Math.Pow(beta2, state.step);
        using Tensor root = state.exp_avg_sq.sqrt();
        using Tensor denominator = root / Math.Sqrt(correction2) + options.eps!.Value;
        using Tensor direction = state.exp_avg / denominator * (lr / correction1);
        double decay = initial != 0 ? lr / initial : 1.0;
        using Tensor update = direction - parameter.detach() * (weightDecay * decay);
        metrics[$"l2_norm/moment/{name}"] = linalg.vector_norm(state.exp_avg);
        metrics[$"l2_norm/param/{name}"] = linalg.vector_norm(parameter.detach());
        metrics[$"l2_norm/update/{name}"] = linalg.vector_norm(update);
        metrics[$"l2_norm/second_moment_sqrt/{name}"] = linalg.vector_norm(root);
        if (parameter.grad is { } grad)
            using (grad) metrics[$"l2_norm/grad/{name}"] = linalg.vector_norm(grad);
    }
}
