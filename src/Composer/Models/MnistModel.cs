using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Models;

/// <summary>
/// Small MNIST networks for samples and benchmarks, like <c>composer.models.mnist_model</c>. Wrap one in a
/// <see cref="ComposerClassifier"/> to train it.
/// </summary>
public static class MnistModel
{
    /// <summary>
    /// Composer's MNIST CNN: conv 3x3 (16), conv 3x3 (32) with batch norm, adaptive average pooling to 4x4,
    /// then 512 -> 32 -> classes; for inputs of shape [N, 1, 28, 28].
    /// </summary>
    /// <param name="numClasses">The number of outputs.</param>
    public static nn.Module<Tensor, Tensor> Cnn(int numClasses = 10) => nn.Sequential(
        ("conv1", nn.Conv2d(1, 16, 3)),
        ("relu1", nn.ReLU()),
        ("conv2", nn.Conv2d(16, 32, 3)),
        ("bn", nn.BatchNorm2d(32)),
        ("relu2", nn.ReLU()),
        ("pool", nn.AdaptiveAvgPool2d(4)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(32 * 4 * 4, 32)),
        ("relu3", nn.ReLU()),
        ("fc2", nn.Linear(32, numClasses)));

    /// <summary>A two-layer perceptron on the flattened image: 784 -> <paramref name="hidden"/> -> classes.</summary>
    /// <param name="hidden">The width of the hidden layer.</param>
    /// <param name="numClasses">The number of outputs.</param>
    public static nn.Module<Tensor, Tensor> Mlp(int hidden = 128, int numClasses = 10) => nn.Sequential(
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(28 * 28, hidden)),
        ("relu", nn.ReLU()),
        ("fc2", nn.Linear(hidden, numClasses)));
}
