using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Utils;

/// <summary>Device helpers TorchSharp lacks.</summary>
public static class DeviceExtensions
{
    /// <summary>
    /// Whether two devices are the same device. TorchSharp's <see cref="Device"/> compares by reference, so
    /// <c>CPU == new Device("cpu")</c> is false.
    /// </summary>
    public static bool IsSameAs(this Device device, Device other) =>
        device.type == other.type && NormalIndex(device) == NormalIndex(other);

    // -1 means "the current device"; for CPU it is the only one.
    private static long NormalIndex(Device device) => device.type == DeviceType.CPU ? 0 : Math.Max(device.index, 0);
}
