using Composer.Callbacks;
using Composer.Checkpoints;
using Composer.Loggers;
using Composer.Models;
using Composer.Tests.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Checkpoints;

/// <summary>The best checkpoints by a logged metric, the best link, and the best weights loaded at the end.</summary>
public class BestCheckpointsTests : FolderTests
{
    [TestCase("max")]
    [TestCase("min")]
    public void KeepsTheBestTwoByTheMonitoredMetricAndEndsWithTheBestWeights(string mode)
    {
        string folder = Folder();
        var logger = new InMemoryLogger();
        var best = new BestCheckpoints(folder, "metrics/eval/Accuracy", mode, keep: 2, loadBestAtEnd: true);
        var options = TestSetup.Options("8ep", evalInterval: "1ep", callbacks: [best], loggers: [logger]);
        new BareOptionsTrainer(options).Fit();

        // The logged accuracy at each evaluation, by batch (3 batches an epoch).
        var logged = logger.Data["metrics/eval/Accuracy"].ToDictionary(e => e.Timestamp.Batch, e => e.Value);
        Assert.That(logged, Has.Count.EqualTo(8));
        Assert.That(best.Best, Has.Count.EqualTo(2));
        foreach ((double value, string file) in best.Best)
        {
            long batch = long.Parse(file.Split("-ba")[1].Split('.')[0]);
            Assert.That(value, Is.EqualTo(logged[batch]), $"{file} holds the value logged at batch {batch}");
        }
        double top = mode == "max" ? logged.Values.Max() : logged.Values.Min();
        Assert.That(best.Best[0].Value, Is.EqualTo(top));
        Assert.That(mode == "max" ? best.Best[0].Value >= best.Best[1].Value : best.Best[0].Value <= best.Best[1].Value);
        // Only the kept ones and the link are in the folder, and the link names the best.
        Assert.That(Directory.GetFiles(folder).Select(Path.GetFileName), Is.EquivalentTo(best.Best.Select(b => b.File).Append("best.ckpt")));
        Assert.That(new FileInfo(Path.Combine(folder, "best.ckpt")).LinkTarget, Is.EqualTo(best.Best[0].File));

        // The model ended with the best checkpoint's weights, not the last batch's.
        torch.manual_seed(99);
        var fresh = new ComposerClassifier(nn.Linear(4, 3), numClasses: 3);
        Checkpoint.Read(Path.Combine(folder, best.Best[0].File)).LoadModel(fresh);
        foreach ((string name, Tensor weight) in options.Model.state_dict())
            Assert.That(fresh.state_dict()[name].equal(weight).all().item<bool>(), name);
    }

    [Test]
    public void TheTrainerOptionLoadsTheBestWeightsAtTheEndAndNeedsABestCheckpointsMember()
    {
        string folder = Folder();
        var best = new BestCheckpoints(folder, keep: 1);
        var options = TestSetup.Options("8ep", evalInterval: "1ep", callbacks: [best]);
        Assert.That(best.LoadBestAtEnd, Is.False);
        new BareOptionsTrainer(options with { LoadBestModelAtEnd = true }).Fit();
        Assert.That(best.LoadBestAtEnd, Is.True);
        Assert.That(best.Best[0].File, Is.Not.EqualTo("best-ep8-ba24.ckpt"), "the best is not the last batch's, so the weights tell");
        torch.manual_seed(99);
        var fresh = new ComposerClassifier(nn.Linear(4, 3), numClasses: 3);
        Checkpoint.Read(Path.Combine(folder, best.Best[0].File)).LoadModel(fresh);
        foreach ((string name, Tensor weight) in options.Model.state_dict())
            Assert.That(fresh.state_dict()[name].equal(weight).all().item<bool>(), name);

        var error = Assert.Throws<ArgumentException>(() => new BareOptionsTrainer(TestSetup.Options("1ep") with { LoadBestModelAtEnd = true }));
        Assert.That(error!.Message, Does.Contain("but it has 0; give one"));
    }

    [Test]
    public void AMonitorThatIsNeverLoggedIsAnErrorNamingWhatWas()
    {
        var best = new BestCheckpoints(Folder(), "metrics/eval/F1");
        var error = Assert.Throws<InvalidOperationException>(() =>
            new BareOptionsTrainer(TestSetup.Options("1ep", callbacks: [best])).Fit());
        Assert.That(error!.Message, Does.Contain("monitors 'metrics/eval/F1'").And.Contain("it logged: metrics/eval/Accuracy"));
    }

    [TestCase("eval/Accuracy", "max", "monitor is a logged evaluation metric")]
    [TestCase("metrics/eval/Accuracy", "highest", "mode is \"max\"")]
    public void BadArgumentsNameTheFix(string monitor, string mode, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => new BestCheckpoints(Folder(), monitor, mode));
        Assert.That(error!.Message, Does.Contain(message));
    }
}
