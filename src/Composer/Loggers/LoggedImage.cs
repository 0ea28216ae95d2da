using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Loggers;

/// <summary>
/// An image to log (as Composer's <c>log_images</c> takes): its 8-bit pixels, copied off the device when created, so
/// it outlives the batch's tensors.
/// </summary>
public sealed class LoggedImage
{
    /// <summary>Copies <paramref name="pixels"/>: [H, W] (gray) or [C, H, W] with C 1 or 3; floats in [0, 1] or bytes.</summary>
    /// <param name="pixels">The image.</param>
    /// <param name="caption">Shown under the image.</param>
    /// <exception cref="ArgumentException">The tensor is not one image; the message gives its shape.</exception>
    public LoggedImage(Tensor pixels, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        using var scope = NewDisposeScope();
        Tensor image = pixels.detach();
        if (image.dim() == 2) image = image.unsqueeze(0);
        if (image.dim() != 3 || image.shape[0] is not (1 or 3))
            throw new ArgumentException($"An image is [H, W] or [C, H, W] with 1 or 3 channels; got [{string.Join(", ", pixels.shape)}].", nameof(pixels));
        if (image.dtype != ScalarType.Byte)
            image = image.to_type(ScalarType.Float32).clamp(0, 1).mul(255).round().to_type(ScalarType.Byte);
        Channels = (int)image.shape[0];
        Height = (int)image.shape[1];
        Width = (int)image.shape[2];
        // Row-major, channels interleaved: the order PNG stores them in.
        Pixels = image.permute(1, 2, 0).contiguous().cpu().data<byte>().ToArray();
        Caption = caption;
    }

    /// <summary>1 (gray) or 3 (RGB).</summary>
    public int Channels { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>Columns.</summary>
    public int Width { get; }

    /// <summary>The pixels, row by row, the channels of each pixel together.</summary>
    public byte[] Pixels { get; }

    /// <summary>Shown under the image, if any.</summary>
    public string? Caption { get; }
}
