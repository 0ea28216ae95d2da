using System.Runtime.InteropServices;
using System.Text;

namespace Composer.Utils;

/// <summary>
/// NVIDIA's management library (<c>libnvidia-ml.so.1</c>, installed with the driver), loaded at run time when present:
/// the GPU's name, utilisation, memory, temperature and power, as Composer reads them through pynvml. On a machine
/// without it (any CPU machine) <see cref="Available"/> is false and every reading is null: never an error.
/// </summary>
internal static unsafe class Nvml
{
    private static readonly Lazy<Api?> Library = new(Load);

    /// <summary>True when the library loaded and initialised.</summary>
    public static bool Available => Library.Value is not null;

    /// <summary>The number of GPUs NVML sees; 0 without it.</summary>
    public static int DeviceCount
    {
        get
        {
            if (Library.Value is not { } api) return 0;
            uint count;
            return api.GetCount(&count) == 0 ? (int)count : 0;
        }
    }

    /// <summary>The GPU's name ("NVIDIA H100 80GB HBM3"); null without NVML or such a device.</summary>
    public static string? DeviceName(int index)
    {
        if (Handle(index) is not { } device) return null;
        byte* name = stackalloc byte[96];
        return Library.Value!.GetName(device, name, 96) == 0 ? Encoding.ASCII.GetString(name, new ReadOnlySpan<byte>(name, 96).IndexOf((byte)0)) : null;
    }

    /// <summary>One reading of a GPU: utilisation and memory activity in percent, temperature in °C, power in W, memory in bytes.</summary>
    public readonly record struct Reading(double GpuPercent, double MemoryPercent, double TemperatureC, double PowerW, double MemoryUsed, double MemoryTotal);

    /// <summary>The GPU's current reading; null without NVML or such a device.</summary>
    public static Reading? Read(int index)
    {
        if (Handle(index) is not { } device) return null;
        Api api = Library.Value!;
        uint* utilization = stackalloc uint[2];
        uint temperature, power;
        ulong* memory = stackalloc ulong[3];
        if (api.GetUtilization(device, utilization) != 0) return null;
        if (api.GetTemperature(device, 0, &temperature) != 0) temperature = 0;
        if (api.GetPower(device, &power) != 0) power = 0;
        if (api.GetMemory(device, memory) != 0) memory[0] = memory[2] = 0;
        return new Reading(utilization[0], utilization[1], temperature, power / 1000.0, memory[2], memory[0]);
    }

    private static IntPtr? Handle(int index)
    {
        if (Library.Value is not { } api || index < 0) return null;
        IntPtr device;
        return api.GetHandle((uint)index, &device) == 0 ? device : null;
    }

    private static Api? Load()
    {
        if (!NativeLibrary.TryLoad("libnvidia-ml.so.1", out IntPtr library) && !NativeLibrary.TryLoad("nvml.dll", out library)) return null;
        try
        {
            var api = new Api(
                (delegate* unmanaged<int>)NativeLibrary.GetExport(library, "nvmlInit_v2"),
                (delegate* unmanaged<uint*, int>)NativeLibrary.GetExport(library, "nvmlDeviceGetCount_v2"),
                (delegate* unmanaged<uint, IntPtr*, int>)NativeLibrary.GetExport(library, "nvmlDeviceGetHandleByIndex_v2"),
                (delegate* unmanaged<IntPtr, byte*, uint, int>)NativeLibrary.GetExport(library, "nvmlDeviceGetName"),
                (delegate* unmanaged<IntPtr, uint*, int>)NativeLibrary.GetExport(library, "nvmlDeviceGetUtilizationRates"),
                (delegate* unmanaged<IntPtr, int, uint*, int>)NativeLibrary.GetExport(library, "nvmlDeviceGetTemperature"),
                (delegate* unmanaged<IntPtr, uint*, int>)NativeLibrary.GetExport(library, "nvmlDeviceGetPowerUsage"),
                (delegate* unmanaged<IntPtr, ulong*, int>)NativeLibrary.GetExport(library, "nvmlDeviceGetMemoryInfo"));
            return api.Init() == 0 ? api : null;
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
    }

    private sealed class Api(
        delegate* unmanaged<int> init,
        delegate* unmanaged<uint*, int> count,
        delegate* unmanaged<uint, IntPtr*, int> handle,
        delegate* unmanaged<IntPtr, byte*, uint, int> name,
        delegate* unmanaged<IntPtr, uint*, int> utilization,
        delegate* unmanaged<IntPtr, int, uint*, int> temperature,
        delegate* unmanaged<IntPtr, uint*, int> power,
        delegate* unmanaged<IntPtr, ulong*, int> memory)
    {
        public int Init() => init();

        public int GetCount(uint* value) => count(value);

        public int GetHandle(uint index, IntPtr* device) => handle(index, device);

        public int GetName(IntPtr device, byte* value, uint length) => name(device, value, length);

        public int GetUtilization(IntPtr device, uint* value) => utilization(device, value);

        public int GetTemperature(IntPtr device, int sensor, uint* value) => temperature(device, sensor, value);

        public int GetPower(IntPtr device, uint* value) => power(device, value);

        public int GetMemory(IntPtr device, ulong* value) => memory(device, value);
    }
}
