using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace Composer.Loggers;

/// <summary>Encodes 8-bit gray or RGB pixels as a PNG file (signature, IHDR, one zlib IDAT, IEND; filter 0 per row).</summary>
public static class Png
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The PNG file of <paramref name="image"/>.</summary>
    public static byte[] Encode(LoggedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var file = new MemoryStream();
        file.Write(Signature);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), image.Height);
        header[8] = 8;                                   // bits per channel
        header[9] = (byte)(image.Channels == 3 ? 2 : 0); // colour type: RGB or gray
        Chunk(file, "IHDR", header);

        using var raw = new MemoryStream();
        using (var zlib = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
        {
            int stride = image.Width * image.Channels;
            for (int row = 0; row < image.Height; row++)
            {
                zlib.WriteByte(0);                       // filter: none
                zlib.Write(image.Pixels, row * stride, stride);
            }
        }
        Chunk(file, "IDAT", raw.ToArray());
        Chunk(file, "IEND", []);
        return file.ToArray();
    }

    private static void Chunk(Stream file, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        file.Write(length);
        byte[] typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        file.Write(typeBytes);
        file.Write(data);
        var crc = new Crc32();
        crc.Append(typeBytes);
        crc.Append(data);
        Span<byte> checksum = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(checksum, crc.GetCurrentHashAsUInt32());
        file.Write(checksum);
    }
}
