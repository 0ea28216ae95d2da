using Composer.Core;
using Composer.Loggers;
using Composer.Tests.Checkpoints;
using Composer.Tests.Training;
using Google.Protobuf;
using SkiaSharp;
using static TorchSharp.torch;

namespace Composer.Tests.Loggers;

/// <summary>TensorBoard's images and HParams records, read back from the event file and decoded independently.</summary>
public class TensorBoardImagesAndHParamsTests : FolderTests
{
    [Test]
    public void ImagesBecomeOnePngGridPerCallEightARowAsPyTorchsAddImages()
    {
        string folder = Folder();
        using var logger = new TensorBoardLogger(folder);
        var images = Enumerable.Range(0, 10).Select(i => new LoggedImage(full([1, 2, 3], i / 10.0))).ToList();
        logger.LogImages(new Timestamp { Batch = 7 }, "Images/Train", images);
        logger.Dispose();

        var value = TensorBoardEvents.ReadEvents(Directory.GetFiles(folder).Single()).Where(e => e.Summary is not null).Single();
        Assert.That(value.Step, Is.EqualTo(7));
        var image = value.Summary.Value.Single();
        Assert.That(image.Tag, Is.EqualTo("Images/Train"));
        Assert.That((image.Image.Height, image.Image.Width, image.Image.Colorspace), Is.EqualTo((4, 24, 3)), "2 rows of 8 cells of 2 x 3");
        using SKBitmap decoded = SKBitmap.Decode(image.Image.EncodedImageString.ToByteArray());
        Assert.That((decoded.Height, decoded.Width), Is.EqualTo((4, 24)));
        for (int i = 0; i < 16; i++)
        {
            SKColor pixel = decoded.GetPixel(i % 8 * 3 + 2, i / 8 * 2 + 1);
            byte expected = i < 10 ? (byte)Math.Round(i / 10.0 * 255, MidpointRounding.ToEven) : (byte)0;
            Assert.That((pixel.Red, pixel.Green, pixel.Blue), Is.EqualTo((expected, expected, expected)), $"cell {i}: gray repeated, empty cells black");
        }
    }

    [Test]
    public void HyperparametersReachTheHParamsDashboardAndTheSessionEndsWithSuccess()
    {
        string folder = Folder();
        using var logger = new TensorBoardLogger(folder);
        new BareOptionsTrainer(TestSetup.Options("1ep", withEval: false, loggers: [logger]) with { RunName = "hp" }).Fit();
        logger.Dispose();

        var values = TensorBoardEvents.ReadEvents(Directory.GetFiles(folder).Single()).Where(e => e.Summary is not null)
            .SelectMany(e => e.Summary.Value.Select(v => (e.Step, Value: v))).ToList();
        var start = values.Last(v => v.Value.Tag == "_hparams_/session_start_info").Value;
        Assert.That(start.Metadata.PluginData.PluginName, Is.EqualTo("hparams"));
        // HParamsPluginData field 3: SessionStartInfo, whose field 1 is the map of hyperparameters.
        var hparams = new Dictionary<string, Google.Protobuf.WellKnownTypes.Value>();
        double startTime = 0;
        foreach ((int field, ByteString bytes, double number) in Fields(start.Metadata.PluginData.Content))
        {
            Assert.That(field, Is.EqualTo(3));
            foreach ((int f, ByteString entry, double time) in Fields(bytes))
            {
                if (f == 5) startTime = time;
                if (f != 1) continue;
                var parts = Fields(entry).ToList();
                hparams[parts.Single(p => p.Field == 1).Bytes.ToStringUtf8()] = Google.Protobuf.WellKnownTypes.Value.Parser.ParseFrom(parts.Single(p => p.Field == 2).Bytes);
            }
        }
        Assert.That(hparams["run_name"].StringValue, Is.EqualTo("hp"));
        Assert.That(hparams["seed"].NumberValue, Is.EqualTo(7));
        Assert.That(hparams["world_size"].NumberValue, Is.EqualTo(1));
        Assert.That(startTime, Is.GreaterThan(1.7e9), "seconds since the epoch");

        var end = values.Single(v => v.Value.Tag == "_hparams_/session_end_info");
        Assert.That(end.Step, Is.EqualTo(3));
        var endInfo = Fields(Fields(end.Value.Metadata.PluginData.Content).Single(f => f.Field == 4).Bytes).ToList();
        Assert.That(endInfo.Single(f => f.Field == 1).Number, Is.EqualTo(1), "STATUS_SUCCESS");
    }

    // Each field of a message: its number, its bytes (length-delimited) or its number (varint, double).
    private static IEnumerable<(int Field, ByteString Bytes, double Number)> Fields(ByteString message)
    {
        var input = new CodedInputStream(message.ToByteArray());
        var fields = new List<(int, ByteString, double)>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            int field = WireFormat.GetTagFieldNumber(tag);
            switch (WireFormat.GetTagWireType(tag))
            {
                case WireFormat.WireType.LengthDelimited: fields.Add((field, input.ReadBytes(), 0)); break;
                case WireFormat.WireType.Varint: fields.Add((field, ByteString.Empty, input.ReadInt64())); break;
                case WireFormat.WireType.Fixed64: fields.Add((field, ByteString.Empty, input.ReadDouble())); break;
                default: input.SkipLastField(); break;
            }
        }
        return fields;
    }
}
