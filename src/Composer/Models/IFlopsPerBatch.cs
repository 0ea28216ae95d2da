using Composer.Data;

namespace Composer.Models;

/// <summary>
/// A model that knows how many floating-point operations a training batch costs it (Composer's
/// <c>flops_per_batch</c>): forward and backward, usually 6 x parameters x tokens for a transformer. With it,
/// <see cref="Callbacks.SpeedMonitor"/> logs FLOPs per second and MFU.
/// </summary>
public interface IFlopsPerBatch
{
    /// <summary>The operations one step on <paramref name="batch"/> costs this process.</summary>
    double FlopsPerBatch(Batch batch);
}
