using System.Text.Json;
using Composer.Core;
using Composer.Data;
using Composer.Loss;
using Composer.Optim;
using Composer.Algorithms;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Golden;

/// <summary>
/// Composer's own functions against ours on the same fixed inputs: composer-golden.json holds what Composer's code
/// (the commit in the file, run with PyTorch 1.13 by make_golden.py) returned, one test case per entry.
/// </summary>
public class ComposerGoldenTests
{
    private static readonly Lazy<JsonElement> Golden = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", "composer-golden.json"))).RootElement);

    public static IEnumerable<TestCaseData> Cases() =>
        Golden.Value.GetProperty("cases").EnumerateArray().Select(c =>
            new TestCaseData(c).SetName($"{c.GetProperty("kind").GetString()}({c.GetProperty("name").GetString()})"));

    [Test]
    public void TheNumbersComeFromComposersPinnedCommit()
    {
        Assert.That(Golden.Value.GetProperty("composerCommit").GetString(), Does.StartWith("6405188"));
        Assert.That(Golden.Value.GetProperty("cases").GetArrayLength(), Is.GreaterThan(250));
    }

    [TestCaseSource(nameof(Cases))]
    public void AgreesWithComposer(JsonElement c)
    {
        JsonElement inputs = c.GetProperty("inputs"), expected = c.GetProperty("expected");
        using var scope = NewDisposeScope();
        switch (c.GetProperty("kind").GetString())
        {
            case "scheduler": Scheduler(c.GetProperty("name").GetString()!, inputs, expected); break;
            case "one_hot": Close(LossFunctions.EnsureTargetsOneHot(T(inputs, "input"), T(inputs, "target")), expected); break;
            case "soft_cross_entropy":
                Close(LossFunctions.SoftCrossEntropy(T(inputs, "input"), T(inputs, "target"), OptionalT(inputs, "weight"),
                    inputs.TryGetProperty("ignoreIndex", out var ignore) ? ignore.GetInt64() : -100, Reduction(inputs)), expected);
                break;
            case "bce_with_logits":
                Close(LossFunctions.BinaryCrossEntropyWithLogits(T(inputs, "input"), T(inputs, "target"), reduction: Reduction(inputs),
                    scaleByBatchSize: inputs.GetProperty("scale").GetBoolean()), expected);
                break;
            case "dice_loss": Close(Dice(inputs.GetProperty("options")).call(T(inputs, "input"), T(inputs, "target")), expected); break;
            case "smooth_labels":
                Close(Functional.SmoothLabels(T(inputs, "logits"), T(inputs, "target"), inputs.GetProperty("smoothing").GetDouble()), expected);
                break;
            case "resize_batch": ResizeBatch(inputs, expected); break;
            case "progressive_resizing_scale":
                double scale = Functional.ProgressiveResizingScale(inputs.GetProperty("elapsed").GetDouble(), 9, inputs.GetProperty("initialScale").GetDouble(),
                    inputs.GetProperty("delay").GetDouble(), inputs.GetProperty("finetune").GetDouble(), inputs.GetProperty("increment").GetInt64());
                Assert.That(Functional.ResizeBatch(zeros(1, 1, 7, 9), scale).shape[3], Is.EqualTo(expected.GetProperty("width").GetInt64()));
                break;
            case "gradient_clipping": GradientClipping(inputs, expected); break;
            case "set_batch_sequence_length": SequenceLength(inputs, expected); break;
            case "seq_length_warmup_schedule": SequenceSchedule(inputs, expected); break;
            case "freeze_layers": FreezeLayers(inputs, expected); break;
            case "mixup_batch":
                var (mixed, permuted, mixing) = Functional.MixUpBatch(T(inputs, "input"), T(inputs, "target"), inputs.GetProperty("mixing").GetDouble(),
                    indices: T(inputs, "indices"));
                Close(mixed, expected.GetProperty("input"));
                Close(permuted, expected.GetProperty("target"));
                Assert.That(mixing, Is.EqualTo(expected.GetProperty("mixing").GetDouble()));
                break;
            case "cutmix_batch": CutMix(inputs, expected); break;
            case "rand_bbox":
                PixelBox box = Functional.RandomBox(inputs.GetProperty("height").GetInt64(), inputs.GetProperty("width").GetInt64(),
                    1 - inputs.GetProperty("lambda").GetDouble(), inputs.GetProperty("centerRow").GetInt64(), inputs.GetProperty("centerColumn").GetInt64());
                Assert.That(new[] { box.Top, box.Left, box.Bottom, box.Right }, Is.EqualTo(expected.EnumerateArray().Select(e => e.GetInt64())));
                break;
            case "cutout_mask":
                Tensor ys = tensor(Rows(inputs.GetProperty("centreY"))), xs = tensor(Rows(inputs.GetProperty("centreX")));
                Close(Functional.CutOutBatch(T(inputs, "input"), ys, xs, inputs.GetProperty("side").GetInt64()), expected);
                break;
            case "compute_ema": ComputeEma(inputs, expected); break;
            case "optimizer": Optimizer(inputs, expected); break;
            case "blur_max_pool":
                long k = inputs.GetProperty("kernel").GetInt64(), st = inputs.GetProperty("stride").GetInt64(), pad = inputs.GetProperty("padding").GetInt64();
                Close(new BlurMaxPool2d(nn.MaxPool2d(k, st, pad)).call(T(inputs, "input")), expected);
                break;
            case "blur_conv": BlurConv(inputs, expected); break;
            case "squeeze_excite":
                var block = new SqueezeExcite2d(inputs.GetProperty("channels").GetInt64(), inputs.GetProperty("latent").GetDouble());
                var named = block.named_parameters().ToDictionary(p => p.name, p => p.parameter);
                using (no_grad())
                {
                    named.Single(p => p.Key.EndsWith("fc1.weight", StringComparison.Ordinal)).Value.copy_(T(inputs, "fc1"));
                    named.Single(p => p.Key.EndsWith("fc2.weight", StringComparison.Ordinal)).Value.copy_(T(inputs, "fc2"));
                }
                Close(block.call(T(inputs, "input")), expected);
                break;
            case "ghost_batch_norm":
                var batchNorm = nn.BatchNorm2d(3);
                var ghostNorm = new GhostBatchNorm2d(batchNorm, inputs.GetProperty("ghostBatchSize").GetInt32());
                ghostNorm.train();
                Close(ghostNorm.call(T(inputs, "input")), expected.GetProperty("output"));
                Close(batchNorm.running_mean!, expected.GetProperty("runningMean"));
                Close(batchNorm.running_var!, expected.GetProperty("runningVar"));
                break;
            case "ema_smoothing":
                Assert.That(new Composer.Algorithms.Ema(inputs.GetProperty("halfLife").GetString()!, inputs.GetProperty("updateInterval").GetString()).Smoothing,
                    Is.EqualTo(expected.GetDouble()).Within(1e-15));
                break;
            case "blur_2d":
                Close(Functional.Blur2d(T(inputs, "input"), Functional.BlurFilter(), inputs.GetProperty("stride").GetInt64()), expected);
                break;
            case "standardize_weights": Close(Functional.StandardizeWeights(T(inputs, "weight")), expected, tolerance: 1e-5); break;
            case "alibi_slopes":
                Assert.That(Functional.AlibiSlopes(inputs.GetProperty("heads").GetInt32()),
                    Is.EqualTo(expected.EnumerateArray().Select(e => e.GetDouble())).Within(1e-12));
                break;
            case "should_selective_backprop":
                Assert.That(Functional.ShouldSelectiveBackprop(inputs.GetProperty("elapsed").GetDouble(), inputs.GetProperty("batch").GetInt64(),
                    inputs.GetProperty("start").GetDouble(), inputs.GetProperty("end").GetDouble(), inputs.GetProperty("interrupt").GetInt32()),
                    Is.EqualTo(expected.GetBoolean()));
                break;
            default:
                Assert.Fail($"No comparison for {c.GetProperty("kind").GetString()}: add one when make_golden.py gains a kind.");
                break;
        }
    }

    private static void Scheduler(string name, JsonElement inputs, JsonElement expected)
    {
        JsonElement k = inputs.GetProperty("kwargs");
        string S(string key, string fallback) => k.TryGetProperty(key, out var v) ? v.GetString()! : fallback;
        double D(string key, double fallback) => k.TryGetProperty(key, out var v) ? v.GetDouble() : fallback;
        bool B(string key) => k.TryGetProperty(key, out var v) && v.GetBoolean();
        string[] Milestones() => [.. k.GetProperty("milestones").EnumerateArray().Select(m => m.GetString()!)];
        ComposerScheduler scheduler = name switch
        {
            "StepScheduler" => new StepScheduler(S("step_size", ""), D("gamma", 0.1)),
            "MultiStepScheduler" => new MultiStepScheduler(Milestones(), D("gamma", 0.1)),
            "ConstantScheduler" => new ConstantScheduler(D("alpha", 1.0), S("t_max", "1dur")),
            "LinearScheduler" => new LinearScheduler(D("alpha_i", 1.0), D("alpha_f", 0.0), S("t_max", "1dur")),
            "ExponentialScheduler" => new ExponentialScheduler(D("gamma", 0), S("decay_period", "1ep")),
            "CosineAnnealingScheduler" => new CosineAnnealingScheduler(S("t_max", "1dur"), D("alpha_f", 0.0)),
            "CosineAnnealingWarmRestartsScheduler" => new CosineAnnealingWarmRestartsScheduler(S("t_0", ""), D("t_mult", 1.0), D("alpha_f", 0.0)),
            "PolynomialScheduler" => new PolynomialScheduler(D("power", 0), S("t_max", "1dur"), D("alpha_f", 0.0)),
            "MultiStepWithWarmupScheduler" => new MultiStepWithWarmupScheduler(S("t_warmup", ""), Milestones(), D("gamma", 0.1), B("scale_warmup")),
            "ConstantWithWarmupScheduler" => new ConstantWithWarmupScheduler(S("t_warmup", ""), D("alpha", 1.0), S("t_max", "1dur"), B("scale_warmup")),
            "LinearWithWarmupScheduler" => new LinearWithWarmupScheduler(S("t_warmup", ""), D("alpha_i", 1.0), D("alpha_f", 0.0), S("t_max", "1dur"), B("scale_warmup")),
            "CosineAnnealingWithWarmupScheduler" => new CosineAnnealingWithWarmupScheduler(S("t_warmup", ""), S("t_max", "1dur"), D("alpha_f", 0.0), B("scale_warmup")),
            "PolynomialWithWarmupScheduler" => new PolynomialWithWarmupScheduler(S("t_warmup", ""), D("power", 2.0), S("t_max", "1dur"), D("alpha_f", 0.0), B("scale_warmup")),
            _ => throw new ArgumentException($"Unknown scheduler {name}"),
        };
        Time maxDuration = Time.Parse(inputs.GetProperty("maxDuration").GetString()!);
        long perEpoch = inputs.GetProperty("dataloaderLength").GetInt64();
        double ssr = inputs.GetProperty("ssr").GetDouble();
        long batch = 0;
        foreach (JsonElement value in expected.EnumerateArray())
        {
            var at = new SchedulerState(new Timestamp { Batch = batch, Epoch = batch / perEpoch, Sample = batch * 4, Token = batch * 32 }, maxDuration, perEpoch);
            if (value.ValueKind == JsonValueKind.String)
                Assert.Throws<ArgumentException>(() => scheduler.Multiplier(at, ssr), $"batch {batch}: Composer raises ValueError");
            else
                Assert.That(scheduler.Multiplier(at, ssr), Is.EqualTo(value.GetDouble()).Within(1e-12), $"batch {batch}");
            batch++;
        }
    }

    private static DiceLoss Dice(JsonElement o)
    {
        bool B(string key) => o.TryGetProperty(key, out var v) && v.GetBoolean();
        return new DiceLoss(B("sigmoid"), B("softmax"), B("squared_pred"), B("jaccard"), B("batch"), B("ignore_absent_classes"), Reduction(o));
    }

    private static void ResizeBatch(JsonElement inputs, JsonElement expected)
    {
        var mode = inputs.GetProperty("mode").GetString() == "crop" ? ResizeMode.Crop : ResizeMode.Resize;
        if (inputs.TryGetProperty("seed", out var seed)) manual_seed(seed.GetInt64());
        var (x, y) = Functional.ResizeBatch(T(inputs, "input"), T(inputs, "target"), inputs.GetProperty("scale").GetDouble(), mode, resizeTargets: true);
        Close(x, expected.GetProperty("input"));
        Close(y, expected.GetProperty("target"));
    }

    private static void GradientClipping(JsonElement inputs, JsonElement expected)
    {
        var layer = nn.Linear(3, 2);
        using (no_grad())
        {
            layer.weight!.copy_(T(inputs, "weight"));
            layer.bias!.copy_(T(inputs, "bias"));
        }
        // Gradients set through backward: d/dW of (W * G).sum() is G.
        ((layer.weight! * T(inputs, "weightGrad")).sum() + (layer.bias! * T(inputs, "biasGrad")).sum()).backward();
        var type = inputs.GetProperty("type").GetString() switch { "adaptive" => ClippingType.Adaptive, "norm" => ClippingType.Norm, _ => ClippingType.Value };
        Functional.ApplyGradientClipping(layer.parameters(), type, inputs.GetProperty("threshold").GetDouble());
        Close(layer.weight!.grad!, expected.GetProperty("weightGrad"));
        Close(layer.bias!.grad!, expected.GetProperty("biasGrad"));
    }

    private static void SequenceLength(JsonElement inputs, JsonElement expected)
    {
        var batch = new Batch([new(Batch.InputIds, T(inputs, "input_ids")), new(Batch.AttentionMask, T(inputs, "attention_mask")),
            new(Batch.Labels, T(inputs, "labels"))]);
        Batch cut = Functional.SetBatchSequenceLength(batch, inputs.GetProperty("length").GetInt64(), inputs.GetProperty("truncate").GetBoolean(),
            inputs.GetProperty("preserve").GetBoolean());
        foreach (JsonProperty key in expected.EnumerateObject())
            Close(cut[key.Name], key.Value);
    }

    private static void SequenceSchedule(JsonElement inputs, JsonElement expected)
    {
        JsonElement k = inputs.GetProperty("kwargs");
        Time run = Time.Parse(inputs.GetProperty("maxDuration").GetString()!);
        long total = run.Unit == TimeUnit.Epoch ? (long)run.Value * inputs.GetProperty("dataloaderLength").GetInt64() : (long)run.Value;
        long Length(long b) => Functional.WarmupSequenceLength(b, total, k.GetProperty("duration").GetDouble(), k.GetProperty("min_seq_length").GetInt64(),
            k.GetProperty("max_seq_length").GetInt64(), k.GetProperty("step_size").GetInt64());
        if (expected.ValueKind == JsonValueKind.String)
        {
            // Composer divides by zero when the warmup has fewer batches than length steps; here the length grows every batch.
            long[] lengths = [.. Enumerable.Range(0, (int)total).Select(b => Length(b))];
            Assert.That(lengths, Is.Ordered.And.All.InRange(k.GetProperty("min_seq_length").GetInt64(), k.GetProperty("max_seq_length").GetInt64()));
            Assert.That(lengths[1] - lengths[0], Is.EqualTo(k.GetProperty("step_size").GetInt64()));
            return;
        }
        Assert.That(Enumerable.Range(0, (int)total).Select(b => Length(b)), Is.EqualTo(expected.EnumerateArray().Select(e => e.GetInt64())));
    }

    private static void FreezeLayers(JsonElement inputs, JsonElement expected)
    {
        var model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 3), nn.Dropout()), nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 1));
        var optimizer = optim.SGD(model.parameters(), 0.1);
        var (depth, share) = Functional.FreezeLayers(model, optimizer, inputs.GetProperty("elapsed").GetDouble(), inputs.GetProperty("start").GetDouble(),
            inputs.GetProperty("level").GetDouble());
        Assert.That(depth, Is.EqualTo(expected.GetProperty("depth").GetInt32()));
        Assert.That(share, Is.EqualTo(expected.GetProperty("share").GetDouble()).Within(1e-15));
        Assert.That(model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name),
            Is.EqualTo(expected.GetProperty("trainable").EnumerateArray().Select(e => e.GetString())));
        Assert.That(optimizer.ParamGroups.OfType<TorchSharp.Modules.ParamGroup>().Sum(g => g.Parameters.Count()),
            Is.EqualTo(expected.GetProperty("inOptimizer").GetInt32()));
    }

    private static void CutMix(JsonElement inputs, JsonElement expected)
    {
        long[] b = [.. inputs.GetProperty("box").EnumerateArray().Select(e => e.GetInt64())];
        // Composer's bbox (rx, ry, rw, rh) slices dimension 2 with rx:rw and dimension 3 with ry:rh.
        var (mixed, permuted, lambda) = Functional.CutMixBatch(T(inputs, "input"), T(inputs, "target"), indices: T(inputs, "indices"),
            box: new PixelBox(b[0], b[1], b[2], b[3]));
        Close(mixed, expected.GetProperty("input"));
        Close(permuted, expected.GetProperty("target"));
        Assert.That(lambda, Is.EqualTo(expected.GetProperty("lambda").GetDouble()).Within(1e-15));
    }

    private static void ComputeEma(JsonElement inputs, JsonElement expected)
    {
        var model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2));
        var weights = model.state_dict();
        using (no_grad())
            foreach (JsonProperty p in inputs.GetProperty("model").EnumerateObject())
                weights[p.Name].copy_(T(p.Value));
        var average = inputs.GetProperty("ema").EnumerateObject().ToDictionary(p => p.Name, p => T(p.Value));
        Functional.ComputeEma(model, average, inputs.GetProperty("smoothing").GetDouble());
        foreach (JsonProperty p in expected.EnumerateObject())
            Close(average[p.Name], p.Value);
    }

    private static void BlurConv(JsonElement inputs, JsonElement expected)
    {
        long stride = inputs.GetProperty("stride").GetInt64();
        var conv = nn.Conv2d(3, 4, 3, stride: stride, padding: 1);
        using (no_grad())
        {
            conv.weight!.copy_(T(inputs, "weight"));
            conv.bias!.copy_(T(inputs, "bias"));
        }
        Close(new BlurConv2d(conv, inputs.GetProperty("blurFirst").GetBoolean()).call(T(inputs, "input")), expected);
    }

    // Five steps with a schedule (the rate times 1, 0.5, 0.25, 0.25, 0.1) and fixed gradients.
    private static void Optimizer(JsonElement inputs, JsonElement expected)
    {
        JsonElement k = inputs.GetProperty("kwargs");
        double D(string key, double fallback) => k.TryGetProperty(key, out var v) ? v.GetDouble() : fallback;
        bool B(string key) => k.TryGetProperty(key, out var v) && v.GetBoolean();
        var layer = nn.Linear(3, 2);
        using (no_grad())
        {
            layer.weight!.copy_(T(inputs.GetProperty("start"), "weight"));
            layer.bias!.copy_(T(inputs.GetProperty("start"), "bias"));
        }
        optim.Optimizer optimizer = inputs.GetProperty("name").GetString() == "DecoupledSGDW"
            ? new DecoupledSGDW(layer.parameters(), D("lr", 0), D("momentum", 0), D("dampening", 0), D("weight_decay", 0), B("nesterov"))
            : new DecoupledAdamW(layer.parameters(), D("lr", 1e-3), k.GetProperty("betas")[0].GetDouble(), k.GetProperty("betas")[1].GetDouble(),
                D("eps", 1e-8), D("weight_decay", 1e-5), B("amsgrad"));
        double[] rates = [.. inputs.GetProperty("rates").EnumerateArray().Select(r => r.GetDouble())];
        JsonElement[] grads = [.. inputs.GetProperty("grads").EnumerateArray()];
        for (int step = 0; step < rates.Length; step++)
        {
            foreach (var group in optimizer.ParamGroups) group.LearningRate = group.InitialLearningRate * rates[step];
            optimizer.zero_grad();
            ((layer.weight! * T(grads[step], "weight")).sum() + (layer.bias! * T(grads[step], "bias")).sum()).backward();
            optimizer.step();
        }
        Close(layer.weight!, expected.GetProperty("weight"));
        Close(layer.bias!, expected.GetProperty("bias"));
    }

    private static nn.Reduction Reduction(JsonElement inputs) =>
        (inputs.TryGetProperty("reduction", out var r) ? r.GetString() : "mean") switch
        {
            "sum" => nn.Reduction.Sum,
            "none" => nn.Reduction.None,
            _ => nn.Reduction.Mean,
        };

    private static long[,] Rows(JsonElement rows)
    {
        var values = rows.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        var result = new long[values.Length, values[0].Length];
        for (int i = 0; i < values.Length; i++)
            for (int j = 0; j < values[i].Length; j++) result[i, j] = values[i][j];
        return result;
    }

    private static Tensor? OptionalT(JsonElement inputs, string key) =>
        inputs.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? T(v) : null;

    private static Tensor T(JsonElement inputs, string key) => T(inputs.GetProperty(key));

    // {shape, dtype, data} as Composer's side wrote it.
    private static Tensor T(JsonElement e)
    {
        long[] shape = [.. e.GetProperty("shape").EnumerateArray().Select(s => s.GetInt64())];
        JsonElement data = e.GetProperty("data");
        return e.GetProperty("dtype").GetString() switch
        {
            "int64" => tensor(data.EnumerateArray().Select(v => v.GetInt64()).ToArray()).reshape(shape),
            "bool" => tensor(data.EnumerateArray().Select(v => v.GetBoolean()).ToArray()).reshape(shape),
            "float64" => tensor(data.EnumerateArray().Select(v => v.GetDouble()).ToArray()).reshape(shape),
            _ => tensor(data.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray()).reshape(shape),
        };
    }

    private static void Close(Tensor actual, JsonElement expected, double tolerance = 1e-6)
    {
        Tensor want = T(expected);
        Assert.That(actual.shape, Is.EqualTo(want.shape), "shape");
        Assert.That(actual.dtype, Is.EqualTo(want.dtype), "dtype");
        if (want.is_floating_point())
        {
            double[] a = actual.to(float64).data<double>().ToArray(), w = want.to(float64).data<double>().ToArray();
            for (int i = 0; i < w.Length; i++)
                Assert.That(a[i], Is.EqualTo(w[i]).Within(tolerance * Math.Max(1, Math.Abs(w[i]))), $"element {i}");
        }
        else
        {
            Assert.That(actual.to(int64).data<long>().ToArray(), Is.EqualTo(want.to(int64).data<long>().ToArray()));
        }
    }
}
