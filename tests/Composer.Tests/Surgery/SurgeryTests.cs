using Composer.Algorithms;
using Composer.Core;
using Composer.Data;
using Composer.Datasets;
using Composer.Models;
using Composer.Surgery;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using ResNet = Composer.Models.ResNet;

namespace Composer.Tests.Surgery;

/// <summary>Counts its calls and passes its input through: shows that the model calls the replacement.</summary>
public sealed class CallCounter(nn.Module<Tensor, Tensor> inner) : nn.Module<Tensor, Tensor>(nameof(CallCounter))
{
    public int Calls { get; private set; }

    public override Tensor forward(Tensor input)
    {
        Calls++;
        return inner.call(input);
    }
}

/// <summary>A module whose child field is typed too narrowly to hold a replacement.</summary>
public sealed class NarrowField : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv = nn.Conv2d(16, 16, 3, stride: 2);

    public NarrowField() : base(nameof(NarrowField)) => RegisterComponents();

    public override Tensor forward(Tensor input) => conv.call(input);
}

[Trainer(typeof(BlurPool))]
public partial class BlurPoolTrainer;

public class SurgeryTests
{
    [Test]
    public void ReplacementsReachTheFieldsTheModelCallsAndTheRegistry()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(1);
        var model = new ResNet();
        var counters = new List<CallCounter>();
        var replaced = ModuleSurgery.ReplaceModules(model, (module, _) =>
            module is Conv2d conv && conv.stride.Max() > 1 ? Track(new CallCounter(conv)) : null);
        CallCounter Track(CallCounter c)
        {
            counters.Add(c);
            return c;
        }

        // Stages 2 and 3 each halve the size in conv1 and in the shortcut's 1x1 convolution.
        Assert.That(replaced.Select(r => r.Path), Is.EqualTo(new[]
        {
            "stages.stage2_block1.conv1", "stages.stage2_block1.shortcut.conv", "stages.stage3_block1.conv1", "stages.stage3_block1.shortcut.conv",
        }));
        Assert.That(ModuleSurgery.Count<CallCounter>(model), Is.EqualTo(4));
        model.call(torch.randn(2, 1, 28, 28));
        Assert.That(counters.Select(c => c.Calls), Is.All.EqualTo(1), "the forward pass goes through every replacement");
        Assert.That(model.named_modules().Where(m => m.module is CallCounter).Select(m => m.name), Is.EqualTo(replaced.Select(r => r.Path)));
    }

    [Test]
    public void AFieldThatCannotHoldTheReplacementIsNamed()
    {
        var error = Assert.Throws<NotSupportedException>(() =>
            ModuleSurgery.ReplaceModules(new NarrowField(), (m, _) => m is Conv2d c ? new BlurConv2d(c) : null));
        Assert.That(error!.Message, Does.Contain("NarrowField.conv").And.Contain("Module<Tensor, Tensor>"));
    }

    [Test]
    public void TheOptimizerLosesTheOldParametersAndStepsTheNewOnes()
    {
        torch.manual_seed(2);
        var model = nn.Sequential(("a", nn.Linear(4, 4)), ("b", nn.Linear(4, 2)));
        var optimizer = optim.Adam(model.parameters(), 0.1);
        Parameter[] old = model.parameters().ToArray();
        var replacement = nn.Linear(4, 2);

        ModuleSurgery.ReplaceModules(model, (m, i) => m is Linear && i == 1 ? replacement : null, optimizer);

        // By value: TorchSharp wraps parameters anew on each call, so compare what they hold.
        var inOptimizer = optimizer.ParamGroups.OfType<ParamGroup>().SelectMany(g => g.Parameters).ToList();
        bool Holds(Parameter p) => inOptimizer.Any(q => q.shape.SequenceEqual(p.shape) && q.allclose(p, 0, 0));
        Assert.That(inOptimizer, Has.Count.EqualTo(4), "2 kept, 2 added");
        Assert.That(old.Skip(2).Select(Holds), Is.All.False, "the replaced layer's parameters are gone");
        Assert.That(replacement.parameters().Select(Holds), Is.All.True);
        Tensor before = replacement.weight!.detach().clone();
        model.call(torch.ones(3, 4)).sum().backward();
        optimizer.step();
        Assert.That(replacement.weight!.detach().sub(before).abs().max().item<float>(), Is.EqualTo(0.1f).Within(1e-5), "Adam's first step moves each weight by the rate");
    }

    [Test]
    public void Blur2dIsTheBinomialFilterPerChannel()
    {
        using var scope = NewDisposeScope();
        Tensor impulse = torch.zeros(1, 2, 5, 5);
        impulse[0, 1, 2, 2] = torch.tensor(16f);
        Tensor blurred = Functional.Blur2d(impulse, Functional.BlurFilter());
        float[] expected = [1, 2, 1, 2, 4, 2, 1, 2, 1];
        Assert.That(blurred[0, 1].narrow(0, 1, 3).narrow(1, 1, 3).reshape(-1).data<float>().ToArray(), Is.EqualTo(expected));
        Assert.That(blurred[0, 0].abs().sum().item<float>(), Is.EqualTo(0f), "channels stay apart");
        Assert.That(Functional.Blur2d(impulse, Functional.BlurFilter(), stride: 2).shape, Is.EqualTo(new long[] { 1, 2, 3, 3 }));
    }

    [Test]
    public void BlurLayersEqualTheirDefinitions()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(3);
        var conv = nn.Conv2d(16, 8, 3, stride: 2, padding: 1);
        Tensor x = torch.randn(2, 16, 8, 8);
        Tensor filter = Functional.BlurFilter();
        Assert.That(new BlurConv2d(conv).call(x).allclose(conv.call(Functional.Blur2d(x, filter)), 1e-5, 1e-6), Is.True, "blur, then the strided conv");
        Tensor stride1 = nn.functional.conv2d(x, conv.weight, conv.bias, strides: [1, 1], padding: [1, 1]);
        Assert.That(new BlurConv2d(conv, blurFirst: false).call(x).allclose(Functional.Blur2d(stride1, filter, stride: 2), 1e-5, 1e-6), Is.True,
            "the conv at stride 1, then the blur with the stride");
        var pool = nn.MaxPool2d(2);
        Tensor maxes = nn.functional.max_pool2d(x, [2, 2], strides: [1, 1]);
        Assert.That(new BlurMaxPool2d(pool).call(x).allclose(Functional.Blur2d(maxes, filter, stride: 2)), Is.True);
    }

    [Test]
    public void BlurPoolTrainsAResNetInsideAGeneratedTrainer()
    {
        torch.manual_seed(4);
        var model = new ComposerClassifier(new ResNet(), numClasses: 10);
        var blurPool = new BlurPool();
        var data = new SyntheticBatchPairDataset(32, [1, 28, 28], numClasses: 10, seed: 1);
        var trainer = new BlurPoolTrainer(blurPool, new TrainerOptions
        {
            Model = model, TrainDataloader = new Composer.Data.DataLoader(data, batchSize: 8), MaxDuration = Time.Parse("1ep"),
            Optimizer = optim.SGD(model.parameters(), 0.05), Seed = 4,
        });

        Assert.That(blurPool.Replaced, Is.EqualTo(4), "BlurPool ran at Init");
        Assert.That(ModuleSurgery.Count<BlurConv2d>(model), Is.EqualTo(4));
        FitResult result = trainer.Fit();
        Assert.That(result.TrainLoss, Is.Not.Null.And.Not.NaN);
        Assert.That(result.Timestamp.Batch, Is.EqualTo(4));
    }
}
