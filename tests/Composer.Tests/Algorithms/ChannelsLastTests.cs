using Composer.Algorithms;
using Composer.Callbacks;
using Composer.Checkpoints;
using Composer.Core;
using Composer.Utils;
using NUnit.Framework;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Algorithms;

[Trainer(typeof(ChannelsLast), typeof(BatchProbe))] public partial class ChannelsLastTrainer;

public class ChannelsLastTests
{
    private static Tensor Strided(long[] shape, long[] strides) =>
        arange(200f).as_strided(shape, strides);

    // The cases PyTorch's is_channels_last_strides_2d_s4 names in its comments, and the plain ones.
    [TestCase(new long[] { 2, 3, 4, 5 }, new long[] { 60, 20, 5, 1 }, false, TestName = "NCHW contiguous")]
    [TestCase(new long[] { 2, 3, 4, 5 }, new long[] { 60, 1, 15, 3 }, true, TestName = "NHWC")]
    [TestCase(new long[] { 4, 1, 1, 1 }, new long[] { 1, 1, 1, 1 }, false, TestName = "N111 contiguous")]
    [TestCase(new long[] { 4, 1, 1, 1 }, new long[] { 5, 5, 5, 5 }, false, TestName = "N11W sliced on W")]
    [TestCase(new long[] { 3, 1, 4, 1 }, new long[] { 4, 1, 1, 1 }, true, TestName = "N1H1 channels-last")]
    [TestCase(new long[] { 3, 1, 4, 1 }, new long[] { 4, 4, 1, 1 }, false, TestName = "N1H1 contiguous")]
    [TestCase(new long[] { 2, 1, 3, 3 }, new long[] { 9, 1, 3, 1 }, true, TestName = "one channel, channels-last")]
    [TestCase(new long[] { 2, 1, 3, 3 }, new long[] { 9, 9, 3, 1 }, false, TestName = "one channel, contiguous")]
    public void IsChannelsLastDecidesAmbiguousStridesAsPyTorchDoes(long[] shape, long[] strides, bool expected) =>
        Assert.That(MemoryFormat.IsChannelsLast(Strided(shape, strides)), Is.EqualTo(expected));

    [Test]
    public void ApplyChannelsLastRestridesEveryFourDimensionalTensorInPlaceAndKeepsItsValues()
    {
        manual_seed(1);
        var model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Conv2d(8, 4, 1), nn.Flatten(), nn.Linear(64, 2));
        var parameters = model.parameters().ToArray();
        var before = parameters.Select(p => p.detach().clone()).ToArray();

        Assert.That(Functional.ApplyChannelsLast(model), Is.EqualTo(2), "the two convolution weights");

        var after = model.parameters().ToArray();
        for (int i = 0; i < parameters.Length; i++)
        {
            Assert.That(after[i], Is.SameAs(parameters[i]), "the same parameter objects, so an optimizer built on them still steps them");
            Assert.That(after[i].eq(before[i]).all().item<bool>(), "values unchanged");
            if (after[i].dim() == 4)
                Assert.That(after[i].stride(), Is.EqualTo(MemoryFormat.ChannelsLastStrides(after[i].shape)));
            else
                Assert.That(after[i].is_contiguous(), "biases, norms and the linear weight are untouched");
        }
        Assert.That(Functional.ApplyChannelsLast(model), Is.Zero, "a second application finds nothing to convert");
    }

    [Test]
    public void AChannelsLastConvolutionComputesTheSameValuesInChannelsLastOrder()
    {
        manual_seed(2);
        var conv = nn.Conv2d(1, 6, 3);
        Tensor input = randn(4, 1, 10, 10);
        Tensor expected = conv.call(input).detach();
        Assert.That(MemoryFormat.IsChannelsLast(expected), Is.False);

        Functional.ApplyChannelsLast(conv);
        Tensor actual = conv.call(input);

        Assert.That(MemoryFormat.IsChannelsLast(actual), "libtorch chose channels-last from the weight's strides alone");
        Assert.That(MemoryFormat.IsChannelsLast(nn.functional.max_pool2d(actual, 2)), "and keeps it through pooling");
        Assert.That((actual - expected).abs().max().item<float>(), Is.LessThan(1e-5f));
    }

    [Test]
    public void TrainingChannelsLastFollowsTheContiguousRunAndKeepsTheLayout()
    {
        var plainProbe = new BatchProbe();
        new PlainProbeTrainer(plainProbe, MethodsSetup.Images()).Fit();
        var probe = new BatchProbe();
        var algorithm = new ChannelsLast();
        var trainer = new ChannelsLastTrainer(algorithm, probe, MethodsSetup.Images());
        trainer.Fit();

        Assert.That(algorithm.Converted, Is.EqualTo(1), "the [4, 1, 3, 3] convolution weight");
        Assert.That(MemoryFormat.IsChannelsLast(trainer.State.Model.parameters().First()), "SGD's in-place steps keep the strides");
        Assert.That(probe.Losses, Has.Count.EqualTo(8));
        for (int i = 0; i < probe.Losses.Count; i++)
            Assert.That(probe.Losses[i], Is.EqualTo(plainProbe.Losses[i]).Within(1e-5).Percent, $"batch {i}: only the summation order differs");
    }

    [Test]
    public void ACheckpointOfAChannelsLastRunResumesBitwiseAndLoadsIntoAContiguousModel()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"channels-last-{Guid.NewGuid():N}");
        try
        {
            // SGD's momentum buffer is made from the first channels-last gradient, so it is channels-last too.
            static TrainerOptions Options(string? loadPath = null)
            {
                TrainerOptions images = MethodsSetup.Images();
                return images with { Optimizer = optim.SGD(images.Model.parameters(), 0.1, momentum: 0.9), LoadPath = loadPath };
            }
            var whole = new ChannelsLastTrainer(new ChannelsLast(), new BatchProbe(),
                Options() with { Callbacks = [new CheckpointSaver(folder, saveInterval: "1ep")] });
            whole.Fit();
            Tensor weight = whole.State.Model.parameters().First();
            Assert.That(MemoryFormat.IsChannelsLast(weight), "saving gave the weight its strides back");

            string firstEpoch = Path.Combine(folder, "ep1-ba4.ckpt");
            var resumed = new ChannelsLastTrainer(new ChannelsLast(), new BatchProbe(), Options(firstEpoch));
            resumed.Fit();
            Assert.That(MemoryFormat.IsChannelsLast(resumed.State.Model.parameters().First()), "loading too");
            Assert.That(MethodsSetup.Weights(resumed), Is.EqualTo(MethodsSetup.Weights(whole)), "bitwise, momentum included");

            var contiguous = MethodsSetup.Images().Model;
            Checkpoint.Read(Path.Combine(folder, "ep2-ba8.ckpt")).LoadModel(contiguous);
            Assert.That(contiguous.parameters().First().is_contiguous());
            Assert.That(contiguous.parameters().Select(p => p.data<float>().ToArray()), Is.EqualTo(MethodsSetup.Weights(whole)),
                "the file holds the weights in logical order");
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}
