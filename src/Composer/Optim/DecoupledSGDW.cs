using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Optim;

/// <summary>
/// SGD with decoupled weight decay, Composer's <c>DecoupledSGDW</c> (Loshchilov and Hutter, 2019, arXiv:1711.05101):
/// the weights shrink by <c>weightDecay × lr / initial lr</c> each step, apart from the gradient, so the decay follows
/// the learning-rate schedule without being scaled by the rate itself. Momentum, dampening and Nesterov as in SGD.
/// </summary>
/// <remarks>
/// It is TorchSharp's <see cref="SGD"/> with another step: its parameter groups, options and saved state are SGD's, so
/// checkpoints, schedules and surgery treat it as SGD. The step creates its scalars once per group and disposes them,
/// leaving nothing per parameter to the finalizer.
/// </remarks>
public sealed class DecoupledSGDW : SGD
{
    /// <summary>Creates the optimizer.</summary>
    /// <param name="parameters">The parameters to train.</param>
    /// <param name="lr">The learning rate.</param>
    /// <param name="momentum">The momentum factor.</param>
    /// <param name="dampening">The dampening of the momentum.</param>
    /// <param name="weightDecay">The decoupled decay: each step multiplies the weights by <c>1 − weightDecay × lr / initial lr</c>.</param>
    /// <param name="nesterov">Nesterov momentum.</param>
    public DecoupledSGDW(IEnumerable<Parameter> parameters, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0,
        bool nesterov = false)
        : base(parameters, lr, momentum, dampening, weightDecay, nesterov)
    {
    }

    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        Options options = group.Options;
        double lr = options.LearningRate!.Value, initial = options.InitialLearningRate;
        double momentum = options.momentum!.Value, weightDecay = options.weight_decay!.Value;
        bool nesterov = options.nesterov!.Value;
        double decay = initial != 0 ? lr / initial : 1.0;
        using Scalar momentumScalar = momentum.ToScalar(), keep = (1 - options.dampening!.Value).ToScalar();
        using Scalar shrink = (1 - decay * weightDecay).ToScalar(), minusLr = (-lr).ToScalar();
        foreach (Parameter parameter in group.Parameters)
        {
            using Tensor? grad = parameter.grad;
            if (grad is null) continue;
            Tensor update = grad;
            Tensor? nesterovUpdate = null;
            if (momentum != 0)
            {
                var state = (State)_state[parameter.Handle];
                if (state.momentum_buffer is null)
                    state.momentum_buffer = grad.clone().detach().DetachFromDisposeScope();
                else
                    state.momentum_buffer.mul_(momentumScalar).add_(grad, keep);
                update = nesterov ? nesterovUpdate = grad.add(state.momentum_buffer, momentumScalar) : state.momentum_buffer;
            }
            if (weightDecay != 0) parameter.mul_(shrink);
            parameter.add_(update, minusLr);
            nesterovUpdate?.Dispose();
        }
    }, closure);
}
