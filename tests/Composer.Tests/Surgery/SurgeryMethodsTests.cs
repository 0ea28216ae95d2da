using Composer.Algorithms;
using Composer.Core;
using Composer.Datasets;
using Composer.Models;
using Composer.Surgery;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using ResNet = Composer.Models.ResNet;

namespace Composer.Tests.Surgery;

[Trainer(typeof(BlurPool), typeof(SqueezeExcite), typeof(StochasticDepth), typeof(GhostBatchNorm), typeof(Factorize), typeof(WeightStandardization))]
public partial class SurgeryRecipeTrainer;

[Trainer(typeof(GyroDropout))]
public partial class GyroTrainer;

[Trainer(typeof(LowPrecisionGroupNorm))]
public partial class GroupNormTrainer;

/// <summary>The model-surgery methods against their definitions, and together in generated Trainers.</summary>
public class SurgeryMethodsTests
{
    [SetUp]
    public void Seed() => torch.manual_seed(7);

    [Test]
    public void SqueezeExciteScalesEachChannelByItsMlpOfTheChannelMeans()
    {
        using var scope = NewDisposeScope();
        var block = new SqueezeExcite2d(4, latentChannels: 0.5);
        Tensor x = torch.randn(2, 4, 3, 3);
        var (fc1, fc2) = ((Linear)block.modules().OfType<Linear>().First(), block.modules().OfType<Linear>().Last());
        Tensor means = x.mean([2, 3]);
        Tensor attention = torch.sigmoid(nn.functional.relu(means.matmul(fc1.weight!.t())).matmul(fc2.weight!.t()));
        Assert.That(block.call(x).allclose(x * attention.reshape(2, 4, 1, 1), 1e-5, 1e-6), Is.True);
        Assert.That(block.LatentChannels, Is.EqualTo(2));
    }

    [Test]
    public void SqueezeExciteFollowsTheWideConvolutionsAndTheOptimizerGetsItsWeights()
    {
        var model = new ResNet();
        var optimizer = optim.SGD(model.parameters(), 0.1);
        int before = optimizer.ParamGroups.OfType<ParamGroup>().Sum(g => g.Parameters.Count());
        // min(in, out) >= 32: stage 2's second conv, stage 3's two convs and its shortcut.
        Assert.That(Composer.Functional.ApplySqueezeExcite(model, optimizer, latentChannels: 0.5, minChannels: 32), Is.EqualTo(4));
        Assert.That(optimizer.ParamGroups.OfType<ParamGroup>().Sum(g => g.Parameters.Count()), Is.EqualTo(before + 8), "two bias-free linears per block");
        Assert.That(model.call(torch.randn(2, 1, 28, 28)).shape, Is.EqualTo(new long[] { 2, 10 }));
    }

    [Test]
    public void GhostBatchNormNormalizesEachChunkAndSplitsTheMomentum()
    {
        using var scope = NewDisposeScope();
        var bn = nn.BatchNorm2d(2, momentum: 0.1);
        var ghost = new GhostBatchNorm2d(bn, ghostBatchSize: 4);
        ghost.train();
        Tensor x = torch.randn(8, 2, 3, 3);
        Tensor y = ghost.call(x);
        // Each chunk of 4 is normalized by the batch norm on its own, as a fresh one would normalize it.
        var reference = nn.BatchNorm2d(2);
        reference.train();
        Assert.That(y.narrow(0, 0, 4).allclose(reference.call(x.narrow(0, 0, 4)), 1e-5, 1e-6), Is.True, "first chunk");
        Assert.That(y.narrow(0, 4, 4).allclose(reference.call(x.narrow(0, 4, 4)), 1e-5, 1e-6), Is.True, "second chunk");
        Assert.That(y.narrow(0, 4, 4).allclose(nn.BatchNorm2d(2).call(x).narrow(0, 4, 4), 1e-3, 1e-3), Is.False, "not the whole batch's statistics");
        // Momentum 0.1 / 2 chunks, applied twice from 0.
        Tensor m1 = x.narrow(0, 0, 4).mean([0, 2, 3]), m2 = x.narrow(0, 4, 4).mean([0, 2, 3]);
        Tensor expectedMean = (m1 * 0.05) * 0.95 + m2 * 0.05;
        Assert.That(bn.running_mean!.allclose(expectedMean, 1e-5, 1e-6), Is.True);
        Assert.That(bn.momentum, Is.EqualTo(0.1), "restored after the call");
        var error = Assert.Throws<ArgumentException>(() => ghost.call(torch.randn(2, 2, 3, 3)));
        Assert.That(error!.Message, Does.Contain("smaller than the ghost batch size 4"));
    }

    [Test]
    public void StochasticDepthRatesGrowWithDepthAndEvaluationScalesTheResidual()
    {
        using var scope = NewDisposeScope();
        var model = new ResNet();
        var blocks = Composer.Functional.ApplyStochasticDepth(model, dropRate: 0.3);
        Assert.That(blocks.Select(b => b.DropRate), Is.EqualTo(new[] { 0.1, 0.2, 0.3 }).Within(1e-12));
        var block = new ResNetBasicBlock(4, 4);
        var stochastic = new StochasticBlock(block, 0.3);
        Tensor x = torch.rand(2, 4, 5, 5);
        stochastic.eval();
        block.eval();
        Assert.That(stochastic.call(x).allclose(nn.functional.relu(block.Residual(x) * 0.7 + block.Shortcut(x)), 1e-5, 1e-6), Is.True);
        stochastic.train();
        stochastic.DropRate = 1;
        Assert.That(stochastic.call(x).allclose(nn.functional.relu(block.Shortcut(x))), Is.True, "always dropped: the shortcut alone");
    }

    [Test]
    public void FactorizationIsTheTruncatedSvd()
    {
        using var scope = NewDisposeScope();
        Tensor w = torch.randn(6, 5);
        var (down, up) = Composer.Functional.FactorizeMatrix(w, 5);
        Assert.That(up.matmul(down).allclose(w, 1e-4, 1e-5), Is.True, "full rank reproduces the matrix");
        var (u, s, vh) = linalg.svd(w, fullMatrices: false);
        Tensor best = u.narrow(1, 0, 2).matmul(torch.diag(s.narrow(0, 0, 2))).matmul(vh.narrow(0, 0, 2));
        var (down2, up2) = Composer.Functional.FactorizeMatrix(w, 2);
        Assert.That(up2.matmul(down2).allclose(best, 1e-4, 1e-5), Is.True, "rank 2: the best rank-2 approximation");

        var linear = nn.Linear(5, 6);
        Tensor x = torch.randn(3, 5);
        Assert.That(new FactorizedLinear(linear, 5).call(x).allclose(linear.call(x), 1e-4, 1e-5), Is.True);
        var conv = nn.Conv2d(3, 4, 3, padding: 1);
        Tensor image = torch.randn(2, 3, 6, 6);
        Assert.That(new FactorizedConv2d(conv, 4).call(image).allclose(conv.call(image), 1e-4, 1e-4), Is.True, "rank min(4, 27) = 4 is exact");
    }

    [Test]
    public void FactorizeReplacesOnlyLayersThatGetSmaller()
    {
        var model = nn.Sequential(("wide", nn.Linear(64, 64)), ("narrow", nn.Linear(64, 8)));
        long before = model.parameters().Sum(p => p.NumberOfElements);
        Assert.That(Composer.Functional.ApplyFactorization(model, minFeatures: 32, latentFeatures: 0.25), Is.EqualTo(1));
        Assert.That(model.parameters().Sum(p => p.NumberOfElements), Is.EqualTo(before - 64 * 64 + 16 * 64 + 64 * 16), "64x64 became 64x16 and 16x64");
    }

    [Test]
    public void WeightStandardizationGivesEachFilterZeroMeanAndUnitVariance()
    {
        using var scope = NewDisposeScope();
        var conv = nn.Conv2d(3, 4, 3);
        Tensor standardized = Composer.Functional.StandardizeWeights(conv.weight!);
        Assert.That(standardized.reshape(4, -1).mean([1]).abs().max().item<float>(), Is.LessThan(1e-6));
        Assert.That(standardized.reshape(4, -1).var(1, unbiased: false).sub(1).abs().max().item<float>(), Is.LessThan(1e-4));
        Tensor x = torch.randn(1, 3, 5, 5);
        Assert.That(new StandardizedConv2d(conv).call(x).allclose(nn.functional.conv2d(x, standardized, conv.bias), 1e-5, 1e-5), Is.True);
        // 9 convolutions in the ResNet: stem, 2 per block, and the two strided shortcuts; the last 2 are left.
        Assert.That(Composer.Functional.ApplyWeightStandardization(new ResNet(), nLastLayersIgnore: 2), Is.EqualTo(7));
    }

    [Test]
    public void GyroDropoutSharesAMaskPerSubnetworkAndRescales()
    {
        using var scope = NewDisposeScope();
        var layer = new GyroDropoutLayer(itersPerEpoch: 10, maxEpoch: 2, p: 0.5, sigma: 4, tau: 2);
        layer.train();
        Tensor y = layer.call(torch.ones(4, 6));
        Assert.That(y.unique().output.data<float>().ToArray(), Is.SubsetOf(new[] { 0f, 2f }), "kept units are scaled by 1 / (1 - p)");
        Assert.That(y[0].allclose(y[1]) && y[2].allclose(y[3]), Is.True, "each mask covers batch / tau samples");
        layer.eval();
        Assert.That(layer.call(torch.ones(4, 6)).allclose(torch.ones(4, 6)), Is.True);
    }

    [Test]
    public void GyroDropoutReplacesDropoutsAtFitStart()
    {
        var model = new ComposerClassifier(nn.Sequential(("fc", nn.Linear(4, 8)), ("drop", nn.Dropout(0.5)), ("out", nn.Linear(8, 3))), numClasses: 3);
        var gyro = new GyroDropout(sigma: 4, tau: 2);
        new GyroTrainer(gyro, new TrainerOptions
        {
            Model = model, TrainDataloader = new Composer.Data.DataLoader(new SyntheticBatchPairDataset(8, [4], numClasses: 3), batchSize: 4),
            MaxDuration = Time.Parse("2ep"), Seed = 1,
        }).Fit();
        Assert.That(gyro.Replaced, Is.EqualTo(1));
        Assert.That(ModuleSurgery.Count<GyroDropoutLayer>(model), Is.EqualTo(1));
    }

    [Test]
    public void LowPrecisionGroupNormNormalizesInTheAutocastDtypeUnderMixedPrecisionOnly()
    {
        using var scope = NewDisposeScope();
        var norm = nn.GroupNorm(2, 4);
        // TorchSharp 0.107's GroupNorm leaves its weight and bias uninitialized: give them values.
        using (no_grad())
        {
            norm.weight!.copy_(torch.randn(4));
            norm.bias!.copy_(torch.randn(4));
        }
        Assert.That(LowPrecisionGroupNorm.GroupNormGroups(norm), Is.EqualTo(2));
        var low = new LowPrecisionGroupNorm2d(norm, 2);
        Tensor x = torch.randn(2, 4, 5, 5);
        Tensor full = norm.call(x);
        Assert.That(low.call(x).eq(full).all().item<bool>(), "outside autocast, the plain group norm");
        Tensor y;
        using (Autocast.Enable(DeviceType.CPU, ScalarType.BFloat16)) y = low.call(x);
        Assert.That(y.dtype, Is.EqualTo(ScalarType.BFloat16), "left in autocast's dtype, as Composer's LPGroupNorm");
        Assert.That(y.to_type(ScalarType.Float32).allclose(full, 0.02, 0.02), Is.True, "bfloat16 keeps about 3 significant digits");

        foreach ((Precision precision, int replaced) in new[] { (Precision.Fp32, 0), (Precision.AmpBf16, 1) })
        {
            var groupNorm = nn.GroupNorm(2, 4);
            using (no_grad())
            {
                groupNorm.weight!.fill_(1);
                groupNorm.bias!.zero_();
            }
            var model = new ComposerClassifier(nn.Sequential(("conv", nn.Conv2d(1, 4, 3)), ("gn", groupNorm), ("pool", nn.AdaptiveAvgPool2d(1)), ("flat", nn.Flatten()), ("fc", nn.Linear(4, 3))), numClasses: 3);
            var algorithm = new LowPrecisionGroupNorm();
            new GroupNormTrainer(algorithm, new TrainerOptions
            {
                Model = model, TrainDataloader = new Composer.Data.DataLoader(new SyntheticBatchPairDataset(8, [1, 6, 6], numClasses: 3), batchSize: 4),
                MaxDuration = Time.Parse("1ep"), Seed = 1, Precision = precision,
            }).Fit();
            Assert.That(algorithm.Replaced, Is.EqualTo(replaced), $"{precision}: no effect in fp32, as in Composer");
        }
    }

    [Test]
    public void TheSurgeryMethodsComposeOnAResNetInOneTrainer()
    {
        var model = new ComposerClassifier(new ResNet(width: 16), numClasses: 10);
        var (blur, se, depth, ghost, ws, factorize) = (new BlurPool(), new SqueezeExcite(latentChannels: 0.25, minChannels: 32), new StochasticDepth(0.2),
            new GhostBatchNorm(ghostBatchSize: 4), new WeightStandardization(nLastLayersIgnore: 1), new Factorize(minChannels: 64, latentChannels: 0.25, minFeatures: 64));
        var trainer = new SurgeryRecipeTrainer(blur, se, depth, ghost, factorize, ws, new TrainerOptions
        {
            Model = model, TrainDataloader = new Composer.Data.DataLoader(new SyntheticBatchPairDataset(16, [1, 28, 28], numClasses: 10), batchSize: 8),
            MaxDuration = Time.Parse("1ep"), Optimizer = optim.SGD(model.parameters(), 0.05, momentum: 0.9), Seed = 3,
        });
        Assert.That((blur.Replaced, se.Replaced, depth.Blocks.Count, ghost.Replaced), Is.EqualTo((4, 4, 3, 9)));
        Assert.That(ws.Replaced, Is.GreaterThan(0));
        FitResult result = trainer.Fit();
        Assert.That(result.TrainLoss, Is.Not.NaN);
        Assert.That(result.Timestamp.Batch, Is.EqualTo(2));
    }
}
