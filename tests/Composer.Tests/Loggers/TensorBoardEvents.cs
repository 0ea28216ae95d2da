using Google.Protobuf;

namespace Composer.Tests.Loggers;

/// <summary>Reads TensorBoard's event files: TFRecords (length, CRC, payload, CRC) of <c>Event</c> protobufs.</summary>
internal static class TensorBoardEvents
{
    public static List<(string Tag, long Step, float Value)> ReadScalars(string path) =>
        [.. ReadEvents(path).Where(e => e.Summary is not null).SelectMany(e => e.Summary.Value.Select(v => (v.Tag, e.Step, v.SimpleValue)))];

    /// <summary>Every event of the file, with both checksums verified.</summary>
    public static List<Tensorboard.Event> ReadEvents(string path)
    {
        var events = new List<Tensorboard.Event>();
        using var reader = new BinaryReader(File.OpenRead(path));
        while (reader.BaseStream.Position < reader.BaseStream.Length)
        {
            byte[] length = reader.ReadBytes(8);
            Assert.That(reader.ReadUInt32(), Is.EqualTo(MaskedCrc(length)), "masked CRC-32C of the length");
            byte[] payload = reader.ReadBytes(checked((int)BitConverter.ToUInt64(length)));
            Assert.That(reader.ReadUInt32(), Is.EqualTo(MaskedCrc(payload)), "masked CRC-32C of the payload");
            events.Add(Tensorboard.Event.Parser.ParseFrom(payload));
        }
        return events;
    }

    /// <summary>
    /// The scalars of every event file in <paramref name="folder"/> as TensorBoard's event accumulator keeps them: files
    /// in name order, and a <c>SessionLog</c> START at step s drops what was read before at steps s and later.
    /// </summary>
    public static List<(string Tag, long Step, float Value)> ReadAsTensorBoardShows(string folder)
    {
        var kept = new List<(string Tag, long Step, float Value)>();
        foreach (string file in Directory.GetFiles(folder, "*tfevents*").Order(StringComparer.Ordinal))
        {
            foreach (Tensorboard.Event e in ReadEvents(file))
            {
                if (e.SessionLog?.Status == Tensorboard.SessionLog.Types.SessionStatus.Start)
                    kept.RemoveAll(s => s.Step >= e.Step);
                if (e.Summary is null) continue;
                foreach (var value in e.Summary.Value.Where(v => v.ValueCase == Tensorboard.Summary.Types.Value.ValueOneofCase.SimpleValue))
                    kept.Add((value.Tag, e.Step, value.SimpleValue));
            }
        }
        return kept;
    }

    // TFRecord's masked CRC-32C, computed here bit by bit (polynomial 0x82F63B78), independently of the writer.
    private static uint MaskedCrc(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        crc = ~crc;
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
    }
}
