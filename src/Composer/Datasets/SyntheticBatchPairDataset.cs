using Composer.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Datasets;

/// <summary>
/// Random Gaussian inputs with random class labels, like <c>composer.datasets.synthetic.SyntheticBatchPairDataset</c>:
/// for smoke tests, benchmarks and the quick start, where the data only has to have the right shape.
/// </summary>
public sealed class SyntheticBatchPairDataset : TensorDataset
{
    /// <summary>Creates <paramref name="totalDatasetSize"/> samples of shape <paramref name="dataShape"/>.</summary>
    /// <param name="totalDatasetSize">The number of samples.</param>
    /// <param name="dataShape">The shape of one input, without the sample dimension.</param>
    /// <param name="numClasses">Labels are drawn uniformly from <c>[0, numClasses)</c>.</param>
    /// <param name="seed">Fixes the data, independent of the global random state.</param>
    public SyntheticBatchPairDataset(long totalDatasetSize, long[] dataShape, int numClasses, long seed = 0)
        : this(Create(totalDatasetSize, dataShape, numClasses, seed))
    {
    }

    private SyntheticBatchPairDataset((Tensor Inputs, Tensor Targets) data) : base(data.Inputs, data.Targets)
    {
    }

    private static (Tensor, Tensor) Create(long totalDatasetSize, long[] dataShape, int numClasses, long seed)
    {
        if (totalDatasetSize < 1)
            throw new ArgumentOutOfRangeException(nameof(totalDatasetSize), totalDatasetSize, "The dataset needs at least one sample.");
        ArgumentNullException.ThrowIfNull(dataShape);
        if (numClasses < 2)
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "A classification dataset needs at least two classes.");
        using var generator = new Generator((ulong)seed);
        Tensor inputs = randn([totalDatasetSize, .. dataShape], generator: generator);
        Tensor targets = randint(0, numClasses, [totalDatasetSize], dtype: int64, generator: generator);
        return (inputs, targets);
    }
}
