using System.Buffers.Binary;
using System.IO.Hashing;
using Google.Protobuf;
using Composer.Loggers.WandB.Records;

namespace Composer.Loggers.WandB;

/// <summary>
/// Writes W&amp;B's transaction log (<c>run-&lt;id&gt;.wandb</c>) as <c>wandb/sdk/internal/datastore.py</c> defines it, in
/// LevelDB's log format: a 7-byte header (<c>":W&amp;B"</c>, magic 0xBEE1, version 0), then 32 KiB blocks of records,
/// each a little-endian CRC-32 (of the type byte and the data, as zlib computes it), a 2-byte length, a type (full,
/// first, middle, last) and the data: one serialized <see cref="Record"/>, split across blocks when it does not fit.
/// </summary>
internal sealed class RecordLog : IDisposable
{
    public const int HeaderLength = 7;
    public const int BlockLength = 32768;
    public const ushort Magic = 0xBEE1;
    public const byte Full = 1, First = 2, Middle = 3, Last = 4;

    private readonly FileStream _file;
    private long _offset;

    /// <summary>Creates the log at <paramref name="path"/>; it must not exist yet.</summary>
    public RecordLog(string path)
    {
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        Span<byte> header = stackalloc byte[HeaderLength];
        "W&B"u8.CopyTo(header[1..]);
        header[0] = (byte)':';
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], Magic);
        header[6] = 0;
        _file.Write(header);
        _offset = HeaderLength;
    }

    /// <summary>Appends one record.</summary>
    public void Write(Record record)
    {
        byte[] data = record.ToByteArray();
        int used = 0;
        bool first = true;
        do
        {
            int spaceLeft = BlockLength - (int)(_offset % BlockLength);
            if (spaceLeft < HeaderLength)
            {
                // Too little room for a header: the block is padded with zeros.
                _file.Write(new byte[spaceLeft]);
                _offset += spaceLeft;
                spaceLeft = BlockLength;
            }
            int room = spaceLeft - HeaderLength;
            int length = Math.Min(room, data.Length - used);
            bool last = used + length == data.Length;
            byte type = first && last ? Full : first ? First : last ? Last : Middle;
            WritePiece(type, data.AsSpan(used, length));
            used += length;
            first = false;
        }
        while (used < data.Length);
    }

    /// <summary>Pushes what was written to the file.</summary>
    public void Flush() => _file.Flush(flushToDisk: true);

    /// <inheritdoc/>
    public void Dispose()
    {
        _file.Flush(flushToDisk: true);
        _file.Dispose();
    }

    /// <summary>The checksum W&amp;B stores: zlib's CRC-32 of the type byte followed by the data.</summary>
    public static uint Checksum(byte type, ReadOnlySpan<byte> data)
    {
        var crc = new Crc32();
        crc.Append([type]);
        crc.Append(data);
        return crc.GetCurrentHashAsUInt32();
    }

    private void WritePiece(byte type, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, Checksum(type, data));
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], (ushort)data.Length);
        header[6] = type;
        _file.Write(header);
        _file.Write(data);
        _offset += HeaderLength + data.Length;
    }
}
