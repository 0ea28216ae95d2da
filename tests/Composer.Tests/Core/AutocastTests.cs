using Composer.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Core;

/// <summary>libtorch's autocast through <see cref="Autocast"/>: which ops run in which dtype, nesting, restoring, gradients.</summary>
[NonParallelizable]
public class AutocastTests
{
    [Test]
    public void InsideTheScopeMatmulLinearAndConvolutionRunInBFloat16AndTheLossesInFloat32()
    {
        manual_seed(1);
        var linear = nn.Linear(8, 4);
        var conv = nn.Conv2d(3, 2, 3);
        using var x = randn(5, 8);
        using var image = randn(2, 3, 6, 6);
        using (Autocast.Enable(DeviceType.CPU, ScalarType.BFloat16))
        {
            Assert.That(Autocast.IsEnabled(DeviceType.CPU), Is.True);
            Assert.That(linear.call(x).dtype, Is.EqualTo(ScalarType.BFloat16), "linear");
            Assert.That(x.matmul(x.T).dtype, Is.EqualTo(ScalarType.BFloat16), "matmul");
            Assert.That(conv.call(image).dtype, Is.EqualTo(ScalarType.BFloat16), "conv2d");
            Tensor logits = linear.call(x);
            Assert.That(nn.functional.cross_entropy(logits, tensor(new long[] { 0, 1, 2, 3, 0 })).dtype, Is.EqualTo(ScalarType.Float32), "cross entropy");
            Assert.That(nn.functional.mse_loss(logits, zeros(5, 4)).dtype, Is.EqualTo(ScalarType.Float32), "mse");
            Assert.That(x.log_softmax(1).dtype, Is.EqualTo(ScalarType.Float32), "an op outside the lists keeps its input's dtype");
            Assert.That(linear.weight!.dtype, Is.EqualTo(ScalarType.Float32), "weights stay float32");
        }
        Assert.That(Autocast.IsEnabled(DeviceType.CPU), Is.False);
        Assert.That(linear.call(x).dtype, Is.EqualTo(ScalarType.Float32), "off again after the scope");
    }

    [Test]
    public void ScopesNestAndRestoreWhatTheyFoundAlsoAfterAnException()
    {
        ScalarType before = Autocast.DtypeOf(DeviceType.CPU);
        using (Autocast.Enable(DeviceType.CPU, ScalarType.BFloat16))
        {
            Assert.Throws<InvalidOperationException>(() =>
            {
                using (Autocast.Enable(DeviceType.CPU, ScalarType.Float16))
                {
                    Assert.That(Autocast.DtypeOf(DeviceType.CPU), Is.EqualTo(ScalarType.Float16));
                    throw new InvalidOperationException("inside the inner scope");
                }
            });
            Assert.That((Autocast.IsEnabled(DeviceType.CPU), Autocast.DtypeOf(DeviceType.CPU)), Is.EqualTo((true, ScalarType.BFloat16)), "the outer scope's state");
        }
        Assert.That((Autocast.IsEnabled(DeviceType.CPU), Autocast.DtypeOf(DeviceType.CPU)), Is.EqualTo((false, before)));
        Assert.Throws<ArgumentException>(() => Autocast.Enable(DeviceType.CPU, ScalarType.Float64));
    }

    [Test]
    public void ADisabledScopeInsideAnEnabledOneRunsInFloat32AndRestoresAutocast()
    {
        using var a = randn(8, 8);
        Assert.That(Autocast.ActiveDtype(DeviceType.CPU), Is.Null, "off outside any scope");
        using (Autocast.Enable(DeviceType.CPU, ScalarType.BFloat16))
        {
            Assert.That(Autocast.ActiveDtype(DeviceType.CPU), Is.EqualTo(ScalarType.BFloat16));
            using (Autocast.Disable(DeviceType.CPU))
            {
                Assert.That(Autocast.ActiveDtype(DeviceType.CPU), Is.Null);
                using var product = a.matmul(a);
                Assert.That(product.dtype, Is.EqualTo(ScalarType.Float32), "matmul is not cast with autocast off");
            }
            Assert.That(Autocast.ActiveDtype(DeviceType.CPU), Is.EqualTo(ScalarType.BFloat16), "the enabled scope's state is back");
            using var cast = a.matmul(a);
            Assert.That(cast.dtype, Is.EqualTo(ScalarType.BFloat16));
        }
        Assert.That(Autocast.ActiveDtype(DeviceType.CPU), Is.Null);
    }

    [Test]
    public void GradientsStayFloat32AndCloseToFullPrecision()
    {
        manual_seed(2);
        var model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 10));
        using var x = randn(16, 32);
        using var y = randint(0, 10, [16]);
        Tensor[] Gradients(bool autocast)
        {
            model.zero_grad();
            using (autocast ? Autocast.Enable(DeviceType.CPU, ScalarType.BFloat16) : null)
            {
                Tensor loss = nn.functional.cross_entropy(model.call(x), y);
                loss.backward();
            }
            return [.. model.parameters().Select(p => p.grad!.clone())];
        }
        Tensor[] full = Gradients(false), mixed = Gradients(true);
        for (int i = 0; i < full.Length; i++)
        {
            Assert.That(mixed[i].dtype, Is.EqualTo(ScalarType.Float32), "gradients of float32 weights are float32");
            double relative = (mixed[i] - full[i]).norm().item<float>() / full[i].norm().item<float>();
            // bfloat16 keeps 8 bits of mantissa: about 0.4% per rounding; a few layers stay within a few percent.
            Assert.That(relative, Is.LessThan(0.05), $"parameter {i}: relative difference {relative:G3}");
        }
    }
}
