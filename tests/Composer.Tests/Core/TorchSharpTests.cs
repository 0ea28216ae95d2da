using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Core;

public class TorchSharpTests
{
    // Loading libLibTorchSharp.so is what the build's GLIBCXX fix is for: on Debian 12 this fails without it.
    [Test]
    public void NativeLibraryLoadsAndMultipliesMatrices()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);
        using var b = tensor(new float[] { 5, 6 }, [2, 1]);
        using var product = a.matmul(b);
        Assert.That(product.data<float>().ToArray(), Is.EqualTo(new float[] { 17, 39 }));
    }
}
