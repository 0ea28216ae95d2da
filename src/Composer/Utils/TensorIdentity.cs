using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Composer.Utils;

/// <summary>
/// Which tensor a wrapper stands for: the address of its data. Two wrappers (and native handles) can stand for one
/// parameter, for example after a module was rebuilt around it or a tensor re-wrapped; the data's address is the
/// same for both, on every device.
/// </summary>
internal static class TensorIdentity
{
    /// <summary>The address of <paramref name="tensor"/>'s first element.</summary>
    public static IntPtr Of(Tensor tensor) => THSTensor_data(tensor.Handle);

    [DllImport("LibTorchSharp")]
    private static extern IntPtr THSTensor_data(IntPtr handle);
}
