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

    /// <summary>
    /// Whether <paramref name="tensor"/> is on <paramref name="device"/>, without <c>tensor.device</c>, which
    /// allocates a new <see cref="Device"/> on every call (the Trainer asks once per batch).
    /// </summary>
    public static bool IsOn(this Tensor tensor, Device device) =>
        tensor.device_type == device.type && (device.type == DeviceType.CPU || Math.Max(tensor.device_index, 0) == NormalIndex(device));

    // -1 means "the current device"; for CPU it is the only one.
    private static long NormalIndex(Device device) => device.type == DeviceType.CPU ? 0 : Math.Max(device.index, 0);
}
