using System.ComponentModel;
using Composer.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Core;

/// <summary>
/// An evaluation (or prediction) in progress: the model in eval mode without gradients, iterating other data.
/// Disposing it, at the end or when a call throws, runs the members' exit actions and puts the model back in
/// its mode with the training data current, so an exception can never leave training in evaluation's state.
/// </summary>
public sealed class EvaluationScope : IDisposable
{
    private readonly State _state;
    private readonly bool _wasTraining;
    private readonly DisposeScope _tensors;
    private readonly IDisposable _noGrad;
    private readonly IEnumerator<Batch> _batches;
    private List<Action>? _onExit;
    private bool _disposed;

    internal EvaluationScope(State state, DataLoader dataloader, string label)
    {
        _state = state;
        _tensors = torch.NewDisposeScope();
        _noGrad = torch.no_grad();
        _wasTraining = state.Model.training;
        state.Model.eval();
        state.Dataloader = dataloader;
        state.DataloaderLabel = label;
        _batches = dataloader.GetEnumerator();
        state.Evaluation = this;
    }

    /// <summary>The batches being evaluated.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public IEnumerator<Batch> Batches => _batches;

    /// <summary>
    /// Runs <paramref name="restore"/> when the evaluation ends, normally or through an exception, the last one
    /// registered first. A member that swaps something in at <see cref="Event.EvalStart"/> registers the swap back
    /// (and makes it do nothing if <see cref="Event.EvalEnd"/> already did it).
    /// </summary>
    public void OnExit(Action restore)
    {
        ArgumentNullException.ThrowIfNull(restore);
        (_onExit ??= []).Add(restore);
    }

    /// <summary>Ends the evaluation: exit actions, then the model's mode, the training data and the tensors.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            for (int i = (_onExit?.Count ?? 0) - 1; i >= 0; i--)
                _onExit![i]();
        }
        finally
        {
            _state.Evaluation = null;
            _state.ClearStep();
            _batches.Dispose();
            _state.Model.train(_wasTraining);
            _state.Dataloader = _state.TrainDataloader;
            _state.DataloaderLabel = "train";
            _noGrad.Dispose();
            _tensors.Dispose();
        }
    }
}
