namespace Composer.Callbacks;

/// <summary>
/// The dense peak FLOPs per second of common accelerators by precision, Composer's <c>GPU_AVAILABLE_FLOPS</c> (from
/// NVIDIA's datasheets, halved where they quote sparsity): what <see cref="SpeedMonitor"/> divides by for MFU.
/// </summary>
public static class PeakFlops
{
    private static readonly Dictionary<string, double> HSeriesSxm = new(StringComparer.Ordinal)
    {
        ["fp64"] = 67e12, ["fp32"] = 67e12, ["tf32"] = 989e12 / 2, ["fp16"] = 1.979e15 / 2, ["amp_fp16"] = 1.979e15 / 2,
        ["bf16"] = 1.979e15 / 2, ["amp_bf16"] = 1.979e15 / 2, ["fp8"] = 3.958e15 / 2, ["amp_fp8"] = 3.958e15 / 2, ["int8"] = 3.958e15 / 2,
    };

    private static readonly Dictionary<string, Dictionary<string, double>> Table = new(StringComparer.Ordinal)
    {
        ["h200-sxm"] = HSeriesSxm,
        ["h100-sxm"] = HSeriesSxm,
        ["h100-pcie"] = new(StringComparer.Ordinal)
        {
            ["fp64"] = 51e12, ["fp32"] = 51e12, ["tf32"] = 756e12 / 2, ["fp16"] = 1.513e15 / 2, ["amp_fp16"] = 1.513e15 / 2,
            ["bf16"] = 1.513e15 / 2, ["amp_bf16"] = 1.513e15 / 2, ["fp8"] = 3.026e15 / 2, ["amp_fp8"] = 3.026e15 / 2, ["int8"] = 3.026e15 / 2,
        },
        ["a100"] = new(StringComparer.Ordinal)
        {
            ["fp64"] = 19.5e12, ["fp32"] = 19.5e12, ["tf32"] = 156e12, ["fp16"] = 312e12, ["amp_fp16"] = 312e12, ["bf16"] = 312e12, ["amp_bf16"] = 312e12,
        },
        ["a10"] = new(StringComparer.Ordinal)
        {
            ["fp32"] = 31.2e12, ["tf32"] = 62.5e12, ["fp16"] = 125e12, ["amp_fp16"] = 125e12, ["bf16"] = 125e12, ["amp_bf16"] = 125e12,
        },
        ["v100-sxm"] = new(StringComparer.Ordinal) { ["fp64"] = 7.8e12, ["fp32"] = 15.7e12, ["fp16"] = 125e12, ["amp_fp16"] = 125e12 },
        ["v100-pcie"] = new(StringComparer.Ordinal) { ["fp64"] = 7e12, ["fp32"] = 14e12, ["fp16"] = 112e12, ["amp_fp16"] = 112e12 },
        ["t4"] = new(StringComparer.Ordinal) { ["fp32"] = 8.1e12, ["fp16"] = 65e12, ["amp_fp16"] = 65e12, ["int8"] = 130e12, ["int4"] = 260e12 },
    };

    /// <summary>
    /// The peak for a device named as NVML or <c>nvidia-smi</c> name it ("NVIDIA H100 80GB HBM3") at
    /// <paramref name="precision"/> (<c>fp32</c>, <c>amp_bf16</c>, ...); null when the table has no entry.
    /// </summary>
    public static double? For(string deviceName, string precision)
    {
        ArgumentNullException.ThrowIfNull(deviceName);
        string name = deviceName.ToLowerInvariant();
        // Composer's matching of torch.cuda.get_device_name().
        string? key = name.Contains("h200") ? "h200-sxm"
            : name.Contains("h100") && name.Contains("hbm3") ? "h100-sxm"
            : name.Contains("h100") && (name.Contains("pcie") || name.Contains("hbm2e")) ? "h100-pcie"
            : name.Contains("a100") ? "a100"
            : name.Contains("a10") ? "a10"
            : name.Contains("v100-sxm") ? "v100-sxm"
            : name.Contains("v100-pcie") ? "v100-pcie"
            : name.Contains("t4") ? "t4"
            : null;
        return key is not null && Table[key].TryGetValue(precision, out double flops) ? flops : null;
    }

    /// <summary>Composer's name of a precision: <c>fp32</c>, <c>amp_fp16</c>, <c>amp_bf16</c>.</summary>
    public static string NameOf(Core.Precision precision) => precision switch
    {
        Core.Precision.AmpBf16 => "amp_bf16",
        Core.Precision.AmpFp16 => "amp_fp16",
        _ => "fp32",
    };
}
