namespace Composer.Text;

/// <summary>
/// Text to token ids and back, as <see cref="Callbacks.Generate"/> needs a tokenizer: Hugging Face's
/// <c>tokenizer(...)</c> and <c>tokenizer.decode(...)</c> in one small contract.
/// </summary>
public interface ITextTokenizer
{
    /// <summary>The id that pads sequences.</summary>
    long PadId { get; }

    /// <summary>The id that ends a text, if the tokenizer has one.</summary>
    long? EndOfTextId { get; }

    /// <summary>The ids of <paramref name="text"/>.</summary>
    long[] Encode(string text);

    /// <summary>The text of <paramref name="ids"/>, without padding and special tokens.</summary>
    string Decode(IEnumerable<long> ids);
}
