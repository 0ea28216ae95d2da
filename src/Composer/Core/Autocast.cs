using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Core;

/// <summary>
/// libtorch's automatic mixed precision (PyTorch's <c>torch.autocast</c>), which TorchSharp 0.107 does not expose: inside
/// a scope, the ops libtorch lists as safe in lower precision (matmul, linear, convolutions) run in
/// <see cref="ScalarType.BFloat16"/> or <see cref="ScalarType.Float16"/>, and the ones it keeps in full precision
/// (softmax, log_softmax, layer_norm, the losses) in float32; weights stay float32.
/// </summary>
/// <remarks>
/// <para>Scopes nest as Python's do: each restores the state it found (enabled or not, and the dtype), and the outermost
/// one clears libtorch's cache of cast weights when it ends. Autocast state is the calling thread's (libtorch keeps it
/// in thread-local storage), so a scope applies to the thread that opened it only; dispose it on that thread.</para>
/// <para>The functions are bound at run time from the libtorch that TorchSharp loaded (<c>at::autocast::*</c> in
/// <c>libtorch_cpu</c>); when one is missing, <see cref="Enable"/> throws, naming the libtorch version needed.</para>
/// </remarks>
public static class Autocast
{
    private static readonly Lazy<Native> Library = new(Native.Load);

    /// <summary>Turns autocast on for <paramref name="device"/> in <paramref name="dtype"/> until the scope is disposed.</summary>
    /// <param name="device">CPU or CUDA.</param>
    /// <param name="dtype">BFloat16 or Float16.</param>
    /// <exception cref="ArgumentException">A dtype autocast does not take.</exception>
    /// <exception cref="NotSupportedException">The loaded libtorch has no autocast functions.</exception>
    public static Scope Enable(DeviceType device, ScalarType dtype)
    {
        if (dtype is not (ScalarType.BFloat16 or ScalarType.Float16))
            throw new ArgumentException($"Autocast runs in BFloat16 or Float16, not {dtype}.", nameof(dtype));
        return new Scope(Library.Value, device, enabled: true, dtype);
    }

    /// <summary>
    /// Turns autocast off for <paramref name="device"/> until the scope is disposed (PyTorch's
    /// <c>torch.autocast(device_type, enabled=False)</c>), for code that chooses its own dtypes inside an autocast region.
    /// </summary>
    /// <exception cref="NotSupportedException">The loaded libtorch has no autocast functions.</exception>
    public static Scope Disable(DeviceType device)
    {
        Native native = Library.Value;
        return new Scope(native, device, enabled: false, native.Dtype(device));
    }

    /// <summary>
    /// The dtype autocast computes in on <paramref name="device"/> on this thread, or null when it is off there (or the
    /// loaded libtorch has no autocast, so it cannot be on).
    /// </summary>
    public static ScalarType? ActiveDtype(DeviceType device)
    {
        if (!Supported.Value) return null;
        return Library.Value.IsEnabled(device) ? Library.Value.Dtype(device) : null;
    }

    private static readonly Lazy<bool> Supported = new(() =>
    {
        try
        {
            _ = Library.Value;
            return true;
        }
        catch (NotSupportedException)
        {
            return false;
        }
    });

    /// <summary>Whether autocast is on for <paramref name="device"/> on this thread.</summary>
    public static bool IsEnabled(DeviceType device) => Library.Value.IsEnabled(device);

    /// <summary>The dtype autocast uses for <paramref name="device"/> on this thread.</summary>
    public static ScalarType DtypeOf(DeviceType device) => Library.Value.Dtype(device);

    /// <summary>Throws now, naming what is needed, if the loaded libtorch cannot autocast (checked before training starts).</summary>
    /// <exception cref="NotSupportedException">The loaded libtorch has no autocast functions.</exception>
    public static void RequireSupport() => _ = Library.Value;

    /// <summary>An autocast scope (on or off): restores the previous state when disposed.</summary>
    public sealed class Scope : IDisposable
    {
        private readonly Native _native;
        private readonly DeviceType _device;
        private readonly bool _wasEnabled;
        private readonly ScalarType _previousDtype;
        private bool _disposed;

        internal Scope(Native native, DeviceType device, bool enabled, ScalarType dtype)
        {
            _native = native;
            _device = device;
            _wasEnabled = native.IsEnabled(device);
            _previousDtype = native.Dtype(device);
            native.SetEnabled(device, enabled);
            native.SetDtype(device, dtype);
            native.IncrementNesting();
        }

        /// <summary>Restores the state the scope found; the outermost scope also clears the cast cache.</summary>
        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            if (_native.DecrementNesting() == 0) _native.ClearCache();
            _native.SetEnabled(_device, _wasEnabled);
            _native.SetDtype(_device, _previousDtype);
        }
    }

    /// <summary>The C++ functions of <c>at::autocast</c>, by their mangled names; both enums are one byte.</summary>
    internal sealed unsafe class Native
    {
        private readonly delegate* unmanaged<sbyte, byte, void> _setEnabled;
        private readonly delegate* unmanaged<sbyte, byte> _isEnabled;
        private readonly delegate* unmanaged<sbyte, sbyte, void> _setDtype;
        private readonly delegate* unmanaged<sbyte, sbyte> _getDtype;
        private readonly delegate* unmanaged<int> _incrementNesting;
        private readonly delegate* unmanaged<int> _decrementNesting;
        private readonly delegate* unmanaged<void> _clearCache;

        private Native(IntPtr library)
        {
            IntPtr Export(string name) => NativeLibrary.TryGetExport(library, name, out IntPtr address)
                ? address
                : throw new NotSupportedException(
                    $"The loaded libtorch has no {name}: mixed precision needs libtorch 2.4 or newer with at::autocast (TorchSharp 0.107 ships 2.10). Train with Precision.Fp32, or use a TorchSharp whose libtorch exports it.");
            _setEnabled = (delegate* unmanaged<sbyte, byte, void>)Export("_ZN2at8autocast20set_autocast_enabledEN3c1010DeviceTypeEb");
            _isEnabled = (delegate* unmanaged<sbyte, byte>)Export("_ZN2at8autocast19is_autocast_enabledEN3c1010DeviceTypeE");
            _setDtype = (delegate* unmanaged<sbyte, sbyte, void>)Export("_ZN2at8autocast18set_autocast_dtypeEN3c1010DeviceTypeENS1_10ScalarTypeE");
            _getDtype = (delegate* unmanaged<sbyte, sbyte>)Export("_ZN2at8autocast18get_autocast_dtypeEN3c1010DeviceTypeE");
            _incrementNesting = (delegate* unmanaged<int>)Export("_ZN2at8autocast17increment_nestingEv");
            _decrementNesting = (delegate* unmanaged<int>)Export("_ZN2at8autocast17decrement_nestingEv");
            _clearCache = (delegate* unmanaged<void>)Export("_ZN2at8autocast11clear_cacheEv");
        }

        public static Native Load()
        {
            // Any tensor makes TorchSharp load its native libraries; libtorch_cpu is then found by its name.
            using (torch.zeros(1)) { }
            foreach (string name in new[] { "libtorch_cpu.so", "libtorch_cpu.dylib", "torch_cpu.dll" })
                if (NativeLibrary.TryLoad(name, typeof(torch).Assembly, null, out IntPtr handle) || NativeLibrary.TryLoad(name, out handle))
                    return new Native(handle);
            throw new NotSupportedException("Mixed precision needs libtorch_cpu, which TorchSharp's native package brings; it could not be found.");
        }

        public void SetEnabled(DeviceType device, bool enabled) => _setEnabled((sbyte)device, enabled ? (byte)1 : (byte)0);
        public bool IsEnabled(DeviceType device) => _isEnabled((sbyte)device) != 0;
        public void SetDtype(DeviceType device, ScalarType dtype) => _setDtype((sbyte)device, (sbyte)dtype);
        public ScalarType Dtype(DeviceType device) => (ScalarType)_getDtype((sbyte)device);
        public int IncrementNesting() => _incrementNesting();
        public int DecrementNesting() => _decrementNesting();
        public void ClearCache() => _clearCache();
    }
}
