using TorchSharp;
using static TorchSharp.torch;

namespace Composer;

public static partial class Functional
{
    /// <summary>
    /// Applies <paramref name="perImage"/> to every image of an [N, C, H, W] batch, undoing the normalization
    /// (<paramref name="mean"/>, <paramref name="std"/>) first and redoing it after, since the operations expect [0, 1].
    /// </summary>
    public static Tensor AugmentBatch(Tensor input, Func<Tensor, Tensor> perImage, double mean = 0, double std = 1)
    {
        RequireImages(input, "Augmentation");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor pixels = (input * std + mean).clamp(0, 1);
        Tensor[] images = Enumerable.Range(0, (int)input.shape[0]).Select(i => perImage(pixels[i])).ToArray();
        return ((stack(images) - mean) / std).MoveToOuterDisposeScope();
    }

    private static void RequireImage(Tensor image, string method)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.dim() != 3)
            throw new ArgumentException($"{method} works on one image of shape [C, H, W]; got [{string.Join(", ", image.shape)}]. Use AugmentBatch for a batch.", nameof(image));
    }
}
