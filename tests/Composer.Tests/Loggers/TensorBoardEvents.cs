using Google.Protobuf;

namespace Composer.Tests.Loggers;

/// <summary>Reads TensorBoard's event files: TFRecords (length, CRC, payload, CRC) of <c>Event</c> protobufs.</summary>
internal static class TensorBoardEvents
{
    public static List<(string Tag, long Step, float Value)> ReadScalars(string path)
    {
        var scalars = new List<(string, long, float)>();
        using var reader = new BinaryReader(File.OpenRead(path));
        while (reader.BaseStream.Position < reader.BaseStream.Length)
        {
            ulong length = reader.ReadUInt64();
            reader.ReadUInt32(); // masked CRC of the length
            byte[] payload = reader.ReadBytes(checked((int)length));
            reader.ReadUInt32(); // masked CRC of the payload
            var e = Tensorboard.Event.Parser.ParseFrom(payload);
            if (e.Summary is null) continue;
            foreach (var value in e.Summary.Value)
                scalars.Add((value.Tag, e.Step, value.SimpleValue));
        }
        return scalars;
    }
}
