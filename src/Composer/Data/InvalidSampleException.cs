namespace Composer.Data;

/// <summary>
/// A sample a collate function cannot put in a batch, and which one: its position in the list given to the collate
/// function, which <see cref="DataLoader{TSample}"/> replaces with the sample's index in the dataset.
/// </summary>
public sealed class InvalidSampleException : ArgumentException
{
    /// <summary>Creates the exception for the sample at <paramref name="sampleIndex"/>.</summary>
    public InvalidSampleException(long sampleIndex, string problem, bool inDataset = false, Exception? innerException = null)
        : base($"{(inDataset ? "Dataset sample" : "Sample")} {sampleIndex}: {problem}", innerException)
    {
        SampleIndex = sampleIndex;
        Problem = problem;
        IsDatasetIndex = inDataset;
    }

    /// <summary>The sample's index: in the dataset when <see cref="IsDatasetIndex"/>, else in the collated list.</summary>
    public long SampleIndex { get; }

    /// <summary>What is wrong with it, without the index.</summary>
    public string Problem { get; }

    /// <summary>True when <see cref="SampleIndex"/> is the sample's index in its dataset.</summary>
    public bool IsDatasetIndex { get; }
}
