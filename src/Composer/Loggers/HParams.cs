using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Tensorboard;

namespace Composer.Loggers;

/// <summary>
/// The records of TensorBoard's HParams plugin, as <c>tensorboard.plugins.hparams</c> writes them: a summary value
/// tagged <c>_hparams_/session_start_info</c> (or <c>_hparams_/session_end_info</c>) whose metadata names the plugin
/// <c>hparams</c> and carries an <c>HParamsPluginData</c> (plugin_data.proto: version 1, session_start_info 3,
/// session_end_info 4; <c>SessionStartInfo</c>: hparams 1 as a map to <c>google.protobuf.Value</c>, start_time_secs 5;
/// <c>SessionEndInfo</c>: status 1, end_time_secs 2). Without an experiment record the dashboard builds the experiment
/// from the sessions and the scalars it finds beside them.
/// </summary>
internal static class HParams
{
    private const int StatusSuccess = 1;

    /// <summary>The session's hyperparameters: numbers as numbers, booleans as booleans, the rest as text.</summary>
    public static Summary SessionStart(IReadOnlyDictionary<string, object> hyperparameters, double startTime)
    {
        var info = new MemoryStream();
        var output = new CodedOutputStream(info, leaveOpen: true);
        foreach ((string name, object value) in hyperparameters.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            var entry = new MemoryStream();
            var entryOutput = new CodedOutputStream(entry, leaveOpen: true);
            entryOutput.WriteTag(1, WireFormat.WireType.LengthDelimited);
            entryOutput.WriteString(name);
            entryOutput.WriteTag(2, WireFormat.WireType.LengthDelimited);
            entryOutput.WriteMessage(ValueOf(value));
            entryOutput.Flush();
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(entry.ToArray()));
        }
        output.WriteTag(5, WireFormat.WireType.Fixed64);
        output.WriteDouble(startTime);
        output.Flush();
        return Record("_hparams_/session_start_info", 3, info.ToArray());
    }

    /// <summary>The session ended with success.</summary>
    public static Summary SessionEnd(double endTime)
    {
        var info = new MemoryStream();
        var output = new CodedOutputStream(info, leaveOpen: true);
        output.WriteTag(1, WireFormat.WireType.Varint);
        output.WriteEnum(StatusSuccess);
        output.WriteTag(2, WireFormat.WireType.Fixed64);
        output.WriteDouble(endTime);
        output.Flush();
        return Record("_hparams_/session_end_info", 4, info.ToArray());
    }

    private static Value ValueOf(object value) => value switch
    {
        bool b => Value.ForBool(b),
        sbyte or byte or short or ushort or int or uint or long or ulong or float or double or decimal =>
            Value.ForNumber(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)),
        _ => Value.ForString(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? ""),
    };

    // HParamsPluginData { version = 0; <field> = info }, in a value whose metadata names the plugin.
    private static Summary Record(string tag, int field, byte[] info)
    {
        var data = new MemoryStream();
        var output = new CodedOutputStream(data, leaveOpen: true);
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(info));
        output.Flush();
        var summary = new Summary();
        summary.Value.Add(new Summary.Types.Value
        {
            Tag = tag,
            Metadata = new SummaryMetadata { PluginData = new SummaryMetadata.Types.PluginData { PluginName = "hparams", Content = ByteString.CopyFrom(data.ToArray()) } },
        });
        return summary;
    }
}
