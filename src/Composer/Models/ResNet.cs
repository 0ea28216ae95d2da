using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Models;

/// <summary>
/// A small ResNet of the kind Composer's vision recipes target (He et al., 2016, arXiv:1512.03385), CIFAR style: a
/// 3x3 stem, three stages of <see cref="ResNetBasicBlock"/>s (the second and third halve the size and double the
/// width), global average pooling and a linear head. Every child is held as <c>Module&lt;Tensor, Tensor&gt;</c>, so
/// the surgery methods (BlurPool, SqueezeExcite, ...) can replace any of them.
/// </summary>
public sealed class ResNet : nn.Module<Tensor, Tensor>
{
    private nn.Module<Tensor, Tensor> stem;
    private nn.Module<Tensor, Tensor> stem_bn;
    private nn.Module<Tensor, Tensor> stages;
    private nn.Module<Tensor, Tensor> head;

    /// <summary>Creates the network.</summary>
    /// <param name="inChannels">Input channels (1 for MNIST, 3 for colour images).</param>
    /// <param name="numClasses">Outputs.</param>
    /// <param name="width">Channels of the first stage; the others have 2x and 4x.</param>
    /// <param name="blocksPerStage">Blocks in each of the three stages.</param>
    public ResNet(int inChannels = 1, int numClasses = 10, int width = 16, int blocksPerStage = 1) : base(nameof(ResNet))
    {
        stem = nn.Conv2d(inChannels, width, 3, padding: 1, bias: false);
        stem_bn = nn.BatchNorm2d(width);
        var blocks = new List<(string, nn.Module<Tensor, Tensor>)>();
        int channels = width;
        for (int stage = 0; stage < 3; stage++)
        {
            int outChannels = width << stage;
            for (int block = 0; block < blocksPerStage; block++)
            {
                int stride = stage > 0 && block == 0 ? 2 : 1;
                blocks.Add(($"stage{stage + 1}_block{block + 1}", new ResNetBasicBlock(channels, outChannels, stride)));
                channels = outChannels;
            }
        }
        stages = nn.Sequential(blocks);
        head = nn.Sequential(("pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", nn.Linear(channels, numClasses)));
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor x = nn.functional.relu(stem_bn.call(stem.call(input)));
        return head.call(stages.call(x)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// ResNet's basic block: conv 3x3 (stride s), batch norm, ReLU, conv 3x3, batch norm, plus a shortcut (a strided
/// 1x1 convolution and batch norm when the shape changes), then ReLU.
/// </summary>
public sealed class ResNetBasicBlock : nn.Module<Tensor, Tensor>
{
    private nn.Module<Tensor, Tensor> conv1;
    private nn.Module<Tensor, Tensor> bn1;
    private nn.Module<Tensor, Tensor> conv2;
    private nn.Module<Tensor, Tensor> bn2;
    private nn.Module<Tensor, Tensor> shortcut;

    /// <summary>Creates the block.</summary>
    public ResNetBasicBlock(int inChannels, int outChannels, int stride = 1) : base(nameof(ResNetBasicBlock))
    {
        conv1 = nn.Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(outChannels);
        conv2 = nn.Conv2d(outChannels, outChannels, 3, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(outChannels);
        shortcut = stride == 1 && inChannels == outChannels
            ? nn.Identity()
            : nn.Sequential(("conv", nn.Conv2d(inChannels, outChannels, 1, stride: stride, bias: false)), ("bn", nn.BatchNorm2d(outChannels)));
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return nn.functional.relu(Residual(input) + Shortcut(input)).MoveToOuterDisposeScope();
    }

    /// <summary>The residual branch: conv, batch norm, ReLU, conv, batch norm.</summary>
    public Tensor Residual(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor x = nn.functional.relu(bn1.call(conv1.call(input)));
        return bn2.call(conv2.call(x)).MoveToOuterDisposeScope();
    }

    /// <summary>The shortcut: the input, or its strided 1x1 projection when the shape changes.</summary>
    public Tensor Shortcut(Tensor input) => shortcut.call(input);
}
