using Composer.Algorithms;
using TorchSharp;

namespace Composer.Tests.Training;

[Trainer(typeof(LabelSmoothing), typeof(MixUp), typeof(Ema))]
public partial class AllAlgorithmsTrainer;

public class MemoryTests
{
    [Test]
    public void LiveTensorCountDoesNotGrowWithTheStepCount()
    {
        var trainer = new AllAlgorithmsTrainer(new LabelSmoothing(), new MixUp(alpha: 0.4), new Ema("2ba"), TestSetup.Options("6ba"));
        trainer.Fit();
        long afterSix = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        trainer.State.MaxDuration = Composer.Core.Time.Parse("30ba");
        trainer.Fit();
        long afterThirty = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        Assert.That(trainer.State.Timestamp.Batch, Is.EqualTo(30));
        Assert.That(afterThirty, Is.EqualTo(afterSix), "every tensor a batch creates must be freed with the batch's dispose scope");
    }
}
