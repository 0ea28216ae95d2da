using Composer.Callbacks;
using Composer.Core;
using Composer.Tests.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Checkpoints;

/// <summary>
/// A callback whose state is only [Checkpointed] fields (a counter, a tensor, numbers, a string, a list of tensors), with
/// no hand-written state code: stopped and autoresumed, it ends bitwise equal to a run that was not interrupted.
/// </summary>
public class CheckpointedTests
{
    [Test]
    public void CheckpointedFieldsResumeBitwiseWithoutStateCode()
    {
        string folder = Path.Combine(Path.GetTempPath(), "composer-checkpointed-" + Guid.NewGuid().ToString("N"));
        try
        {
            var straight = new LossHistory();
            var whole = new CheckpointedTrainer(straight, TestSetup.Options("6ba", withEval: false));
            whole.Fit();

            // The same run stopped after 4 batches with checkpoints every 2, then autoresumed to 6 by a fresh member.
            var first = new LossHistory();
            new CheckpointedTrainer(first, TestSetup.Options("4ba", withEval: false,
                callbacks: [new CheckpointSaver(folder, saveInterval: "2ba")])).Fit();
            var resumed = new LossHistory();
            var trainer = new CheckpointedTrainer(resumed, TestSetup.Options("6ba", withEval: false,
                callbacks: [new CheckpointSaver(folder, saveInterval: "2ba")], autoresume: true));
            Assert.That(resumed.Batches, Is.EqualTo(4), "the counter came back from the checkpoint");
            trainer.Fit();

            Assert.That(resumed.Batches, Is.EqualTo(straight.Batches));
            Assert.That(resumed.Losses, Is.EqualTo(straight.Losses), "the numbers, bitwise");
            Assert.That(resumed.LastEvent, Is.EqualTo("BatchEnd 6"));
            Assert.That(resumed.Sum!.equal(straight.Sum!).all().item<bool>(), "the tensor, bitwise");
            Assert.That(resumed.Kept.Count, Is.EqualTo(straight.Kept.Count));
            for (int i = 0; i < straight.Kept.Count; i++)
                Assert.That(resumed.Kept[i].equal(straight.Kept[i]).all().item<bool>(), $"kept tensor {i}");
            Assert.That(resumed.Mode, Is.EqualTo(HistoryMode.Counting));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}

public enum HistoryMode { Idle, Counting }

/// <summary>Keeps a history of the training loss; everything it keeps is a [Checkpointed] field.</summary>
public sealed partial class LossHistory : Callback
{
    [Checkpointed] private long _batches;
    [Checkpointed] private Tensor? _sum;
    [Checkpointed] private double[] _losses = [];
    [Checkpointed] private string _lastEvent = "";
    [Checkpointed] private List<Tensor> _kept = [];
    [Checkpointed] private HistoryMode _mode;
    [Checkpointed] private bool _started;

    public long Batches => _batches;
    public Tensor? Sum => _sum;
    public double[] Losses => _losses;
    public string LastEvent => _lastEvent;
    public List<Tensor> Kept => _kept;
    public HistoryMode Mode => _mode;

    [OnEvent(Event.BatchEnd)]
    public void Record(State state)
    {
        _started = true;
        _mode = HistoryMode.Counting;
        _batches++;
        Tensor loss = state.Loss.detach();
        // Kept across batches, so out of the batch's dispose scope.
        _sum = (_sum is null ? loss.clone() : _sum + loss).DetachFromDisposeScope();
        _losses = [.. _losses, loss.item<float>()];
        if (_batches % 2 == 0) _kept.Add(loss.clone().DetachFromDisposeScope());
        _lastEvent = $"BatchEnd {state.Timestamp.Batch}";
    }

    public bool Started => _started;
}

[Trainer(typeof(LossHistory))]
public partial class CheckpointedTrainer;
