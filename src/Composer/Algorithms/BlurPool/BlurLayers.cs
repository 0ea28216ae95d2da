using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Composer.Algorithms;

/// <summary>
/// A strided convolution with an anti-aliasing filter, Composer's <c>BlurConv2d</c>: with <c>blurFirst</c> the input is
/// blurred (stride 1) before the convolution runs with its own stride; otherwise the convolution runs at stride 1 and
/// the blur takes the stride. It wraps the original convolution, so the weights (and the optimizer's hold on them)
/// stay the same.
/// </summary>
public sealed class BlurConv2d : nn.Module<Tensor, Tensor>
{
    // Held as a module, so that other surgery (SqueezeExcite, WeightStandardization) can replace the convolution inside.
    private readonly nn.Module<Tensor, Tensor> conv;
    private readonly Tensor blur_filter;
    private readonly bool _blurFirst;

    /// <summary>Wraps <paramref name="convolution"/>.</summary>
    public BlurConv2d(Conv2d convolution, bool blurFirst = true) : base(nameof(BlurConv2d))
    {
        conv = convolution ?? throw new ArgumentNullException(nameof(convolution));
        _blurFirst = blurFirst;
        long channels = blurFirst ? convolution.in_channels : convolution.out_channels;
        blur_filter = Functional.BlurFilter().repeat(channels, 1, 1, 1).to(convolution.weight.device);
        RegisterComponents();
    }

    /// <summary>The wrapped convolution (or what later surgery put in its place).</summary>
    public nn.Module<Tensor, Tensor> Convolution => conv;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        if (_blurFirst) return conv.call(Functional.Blur2d(input, blur_filter, stride: 1));
        if (conv is not Conv2d plain)
            throw new NotSupportedException($"BlurConv2d with blurFirst: false runs its convolution at stride 1 itself, so it needs the plain Conv2d; it now holds a {conv.GetType().Name}.");
        using var scope = NewDisposeScope();
        Tensor activations = nn.functional.conv2d(input, plain.weight, plain.bias, strides: [1, 1], padding: plain.padding, dilation: plain.dilation, groups: plain.groups);
        return Functional.Blur2d(activations, blur_filter, stride: plain.stride[0]).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Max-pooling with anti-aliasing, Composer's <c>BlurMaxPool2d</c>: the max over each window at stride 1, then the
/// blur filter with the pool's stride.
/// </summary>
public sealed class BlurMaxPool2d : nn.Module<Tensor, Tensor>
{
    private readonly long[] _kernel, _stride, _padding, _dilation;
    private readonly bool _ceilMode;

    /// <summary>Replaces <paramref name="pool"/> with its anti-aliased form.</summary>
    public BlurMaxPool2d(MaxPool2d pool) : base(nameof(BlurMaxPool2d))
    {
        ArgumentNullException.ThrowIfNull(pool);
        _kernel = pool.kernel_size;
        _stride = pool.stride ?? pool.kernel_size;
        _padding = pool.padding ?? [0, 0];
        _dilation = pool.dilation ?? [1, 1];
        _ceilMode = pool.ceil_mode;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor maxes = nn.functional.max_pool2d(input, _kernel, strides: [1, 1], padding: _padding, dilation: _dilation, ceil_mode: _ceilMode);
        using Tensor filter = Functional.BlurFilter().to(input.device);
        return Functional.Blur2d(maxes, filter, stride: _stride[0]).MoveToOuterDisposeScope();
    }
}
