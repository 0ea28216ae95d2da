using System.Text;

namespace Composer.Text;

/// <summary>
/// One token per character, the vocabulary the characters of a corpus (Karpathy's char-level GPT): id 0 pads, id 1 ends
/// a text, id 2 stands for a character the corpus did not have, and ids 3 on are the corpus's characters in code-point
/// order. Small and exact, for training a tiny language model on a small corpus.
/// </summary>
public sealed class CharacterTokenizer : ITextTokenizer
{
    private const long UnknownId = 2;
    private readonly Dictionary<string, long> _ids;
    private readonly string[] _characters;

    private CharacterTokenizer(string[] characters)
    {
        _characters = characters;
        _ids = characters.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => (long)p.i + 3, StringComparer.Ordinal);
    }

    /// <summary>The characters (text elements of one code point) of <paramref name="corpus"/>.</summary>
    public static CharacterTokenizer Fit(IEnumerable<string> corpus)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string text in corpus)
            foreach (Rune rune in text.EnumerateRunes())
                seen.Add(rune.ToString());
        return new CharacterTokenizer([.. seen]);
    }

    /// <summary>The tokenizer of <paramref name="characters"/>, as <see cref="Characters"/> gave them (to rebuild a saved one).</summary>
    public static CharacterTokenizer FromCharacters(IReadOnlyList<string> characters) => new([.. characters]);

    /// <summary>The vocabulary's characters, in id order from 3.</summary>
    public IReadOnlyList<string> Characters => _characters;

    /// <summary>Ids run from 0 to this − 1.</summary>
    public long VocabularySize => _characters.Length + 3;

    /// <inheritdoc/>
    public long PadId => 0;

    /// <inheritdoc/>
    public long? EndOfTextId => 1;

    /// <inheritdoc/>
    public long[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return [.. text.EnumerateRunes().Select(r => _ids.GetValueOrDefault(r.ToString(), UnknownId))];
    }

    /// <inheritdoc/>
    public string Decode(IEnumerable<long> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        foreach (long id in ids)
        {
            if (id == UnknownId) text.Append('\uFFFD');
            else if (id >= 3 && id - 3 < _characters.Length) text.Append(_characters[id - 3]);
        }
        return text.ToString();
    }
}
