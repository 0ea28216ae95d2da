using TorchSharp;
using static TorchSharp.torch;

namespace Composer.Models;

/// <summary>
/// Checks token ids against an embedding's vocabulary where a batch enters the model, so an id the embedding has no
/// row for is a clear error naming the key and the vocabulary size, instead of libtorch's "index out of range in self"
/// from deep inside the forward pass (or, on CUDA, a device-side assert that ends the process).
/// </summary>
/// <remarks>
/// On the CPU every batch is checked: the ids are in host memory, so reading their range waits for nothing. On an
/// accelerator reading a value back stalls the device, so only the first batch is checked there.
/// </remarks>
/// <param name="vocabularySize">The embedding's number of rows: ids run from 0 to this minus 1.</param>
/// <param name="key">The batch key the ids come from, for the message.</param>
public sealed class VocabularyCheck(long vocabularySize, string key)
{
    private bool _checkedOnAccelerator;

    /// <summary>The embedding's number of rows.</summary>
    public long VocabularySize { get; } = vocabularySize > 0 ? vocabularySize : throw new ArgumentOutOfRangeException(nameof(vocabularySize), vocabularySize, "A vocabulary has at least one token.");

    /// <summary>Throws when <paramref name="ids"/> holds an id below 0 or at or above <see cref="VocabularySize"/>.</summary>
    /// <exception cref="ArgumentException">An id outside the vocabulary.</exception>
    public void Check(Tensor ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.numel() == 0) return;
        if (ids.device_type != DeviceType.CPU)
        {
            if (_checkedOnAccelerator) return;
            _checkedOnAccelerator = true;
        }
        using var scope = NewDisposeScope();
        long lowest = ids.min().item<long>(), highest = ids.max().item<long>();
        if (lowest >= 0 && highest < VocabularySize) return;
        long bad = lowest < 0 ? lowest : highest;
        throw new ArgumentException(
            $"'{key}' holds the token id {bad}, outside the embedding's vocabulary of {VocabularySize} (ids 0 to {VocabularySize - 1}). " +
            "Tokenize with the vocabulary the model was built for, or build the model with a vocabulary that covers every id.", nameof(ids));
    }
}
