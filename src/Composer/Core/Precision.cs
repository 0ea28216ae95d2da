namespace Composer.Core;

/// <summary>
/// The numeric precision of training, Composer's <c>Precision</c>: full float32, or automatic mixed precision, where
/// the forward pass and the loss run under libtorch's autocast (<see cref="Autocast"/>) and the weights, the optimizer's
/// state, the averages of EMA and SWA, checkpoints and logged values stay float32.
/// </summary>
public enum Precision
{
    /// <summary>float32 everywhere (Composer's <c>fp32</c>, the default).</summary>
    Fp32,

    /// <summary>
    /// Mixed precision in bfloat16 (Composer's <c>amp_bf16</c>): float32's range with 8 bits of mantissa, so no loss
    /// scaling is needed. Fast on CPUs with AVX512-BF16 or AMX and on GPUs from Ampere on; correct everywhere.
    /// </summary>
    AmpBf16,

    /// <summary>
    /// Mixed precision in float16 (Composer's <c>amp_fp16</c>), with dynamic loss scaling (<see cref="Optim.GradScaler"/>)
    /// so small gradients do not underflow; a batch whose gradients overflow is skipped.
    /// </summary>
    AmpFp16,
}
