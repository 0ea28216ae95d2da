using Google.Protobuf;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Models.Onnx;

/// <summary>Reads an ONNX model's graph and turns its initializers (the weights) into tensors.</summary>
internal static class OnnxWeights
{
    // TensorProto.DataType values of onnx.proto.
    private const int Float = 1;
    private const int Int32 = 6;
    private const int Int64 = 7;

    /// <summary>Parses an ONNX model; weights in external files are not supported (MiniLM's are inside).</summary>
    public static ModelProto Read(byte[] model)
    {
        // The default limit of 100 MB of nested messages would do for MiniLM, but not for larger graphs.
        var input = new CodedInputStream(model);
        var parsed = new ModelProto();
        parsed.MergeFrom(input);
        if (parsed.Graph is null) throw new InvalidDataException("The file is not an ONNX model: it has no graph.");
        return parsed;
    }

    /// <summary>The initializer as a tensor of its ONNX shape and type (float32, int32 or int64).</summary>
    public static Tensor ToTensor(TensorProto proto)
    {
        long[] shape = [.. proto.Dims];
        switch (proto.DataType)
        {
            case Float:
                float[] floats = proto.RawData.Length > 0 ? FromRaw<float>(proto.RawData) : [.. proto.FloatData];
                return tensor(floats, shape);
            case Int32:
                int[] ints = proto.RawData.Length > 0 ? FromRaw<int>(proto.RawData) : [.. proto.Int32Data];
                return tensor(ints, shape);
            case Int64:
                long[] longs = proto.RawData.Length > 0 ? FromRaw<long>(proto.RawData) : [.. proto.Int64Data];
                return tensor(longs, shape);
            default:
                throw new NotSupportedException(
                    $"Initializer '{proto.Name}' has ONNX data type {proto.DataType}; only float32, int32 and int64 weights are read.");
        }
    }

    private static T[] FromRaw<T>(ByteString raw) where T : unmanaged
    {
        // ONNX stores raw data little-endian, as this machine is.
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Reading ONNX weights needs a little-endian machine.");
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(raw.Span).ToArray();
    }
}
