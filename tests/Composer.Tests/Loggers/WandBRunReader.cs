using System.Buffers.Binary;
using System.IO.Hashing;
using Composer.Loggers.WandB.Records;

namespace Composer.Tests.Loggers;

/// <summary>
/// Reads a W&amp;B transaction log written from the format's description (LevelDB's log format as W&amp;B's
/// datastore.py uses it), independently of the writer: header, 32 KiB blocks, CRC-checked pieces reassembled into
/// records. Damage or truncation is an exception naming the offset.
/// </summary>
internal static class WandBRunReader
{
    public static List<Record> Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        if (file.Length < 7 || file[0] != ':' || file[1] != 'W' || file[2] != '&' || file[3] != 'B')
            throw new InvalidDataException("no :W&B header");
        if (BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(4)) != 0xBEE1 || file[6] != 0)
            throw new InvalidDataException("wrong magic or version");
        var records = new List<Record>();
        var pending = new List<byte>();
        int offset = 7;
        while (offset < file.Length)
        {
            int left = 32768 - offset % 32768;
            if (left < 7)
            {
                if (file.AsSpan(offset, Math.Min(left, file.Length - offset)).IndexOfAnyExcept((byte)0) >= 0)
                    throw new InvalidDataException($"non-zero block padding at {offset}");
                offset += left;
                continue;
            }
            if (offset + 7 > file.Length) throw new InvalidDataException($"truncated piece header at {offset}");
            uint checksum = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(offset));
            int length = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(offset + 4));
            byte type = file[offset + 6];
            if (offset + 7 + length > file.Length) throw new InvalidDataException($"truncated piece at {offset}");
            ReadOnlySpan<byte> data = file.AsSpan(offset + 7, length);
            // zlib.crc32(data, zlib.crc32(chr(type))): the CRC-32 of the type byte followed by the data.
            byte[] covered = [type, .. data];
            if (Crc32.HashToUInt32(covered) != checksum) throw new InvalidDataException($"checksum mismatch at {offset}");
            offset += 7 + length;
            switch (type)
            {
                case 1:
                    records.Add(Record.Parser.ParseFrom(data));
                    break;
                case 2:
                    pending = [.. data];
                    break;
                case 3:
                    pending.AddRange(data.ToArray());
                    break;
                case 4:
                    pending.AddRange(data.ToArray());
                    records.Add(Record.Parser.ParseFrom(pending.ToArray()));
                    pending.Clear();
                    break;
                default:
                    throw new InvalidDataException($"unknown piece type {type} at {offset}");
            }
        }
        if (pending.Count > 0) throw new InvalidDataException("the log ends inside a record");
        return records;
    }
}
