using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;
using WordPiece = Microsoft.ML.Tokenizers.BertTokenizer;

namespace Composer.Text;

/// <summary>
/// BERT's WordPiece tokenizer as Hugging Face's <c>BertTokenizer</c> applies it: lower-cased and accent-stripped for
/// uncased vocabularies, <c>[CLS] a [SEP]</c> or <c>[CLS] a [SEP] b [SEP]</c> with <c>token_type_ids</c> 0 then 1,
/// truncation to <c>max_length</c>, and an attention mask. The WordPiece itself is Microsoft.ML.Tokenizers'.
/// </summary>
/// <remarks>
/// Hugging Face's basic tokenization (clean the text, space out CJK characters, lower-case and strip accents, split
/// off punctuation) is done here, because Microsoft.ML.Tokenizers' own drops symbols such as <c>≈</c> (in BERT's
/// vocabulary) and <c>☃</c> (which Hugging Face maps to <c>[UNK]</c>); each word then goes through its WordPiece.
/// Each sample comes out unpadded; <see cref="Data.PaddingCollator"/> pads a batch to its longest sequence, as
/// Hugging Face's <c>DataCollatorWithPadding</c> does.
/// </remarks>
public sealed class BertTokenizer
{
    private readonly WordPiece _wordPiece;

    private BertTokenizer(WordPiece wordPiece, bool lowerCase)
    {
        _wordPiece = wordPiece;
        LowerCase = lowerCase;
    }

    /// <summary>Whether text is lower-cased and its accents removed first (an uncased vocabulary).</summary>
    public bool LowerCase { get; }

    /// <summary>The id of <c>[CLS]</c>.</summary>
    public int ClsTokenId => _wordPiece.ClassificationTokenId;

    /// <summary>The id of <c>[SEP]</c>.</summary>
    public int SepTokenId => _wordPiece.SeparatorTokenId;

    /// <summary>The id of <c>[PAD]</c>: the collator's <see cref="Data.PaddingCollator.PadTokenId"/>.</summary>
    public int PadTokenId => _wordPiece.PaddingTokenId;

    /// <summary>The id of <c>[UNK]</c>.</summary>
    public int UnknownTokenId { get; private init; }

    /// <summary>
    /// The tokenizer of a Hugging Face folder: its <c>vocab.txt</c>, and <c>do_lower_case</c> from
    /// <c>tokenizer_config.json</c> when the folder has one (true otherwise, for uncased vocabularies).
    /// </summary>
    public static BertTokenizer FromPretrained(string folder)
    {
        string vocabulary = Path.Combine(folder, "vocab.txt");
        if (!File.Exists(vocabulary)) throw new FileNotFoundException($"{folder} has no vocab.txt, the WordPiece vocabulary BertTokenizer reads.", vocabulary);
        bool lowerCase = true;
        string config = Path.Combine(folder, "tokenizer_config.json");
        if (File.Exists(config))
        {
            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(config));
            if (json.RootElement.TryGetProperty("do_lower_case", out JsonElement lower)) lowerCase = lower.GetBoolean();
        }
        return Create(vocabulary, lowerCase);
    }

    /// <summary>A tokenizer over the WordPiece vocabulary file <paramref name="vocabularyPath"/>.</summary>
    public static BertTokenizer Create(string vocabularyPath, bool lowerCase = true)
    {
        // Only the WordPiece: the basic tokenization is BasicTokens below.
        var wordPiece = WordPiece.Create(vocabularyPath, new Microsoft.ML.Tokenizers.BertOptions
        {
            LowerCaseBeforeTokenization = false,
            RemoveNonSpacingMarks = false,
            ApplyBasicTokenization = false,
        });
        return new BertTokenizer(wordPiece, lowerCase) { UnknownTokenId = wordPiece.UnknownTokenId };
    }

    /// <summary>The WordPiece ids of <paramref name="text"/>, without special tokens.</summary>
    public IReadOnlyList<int> Tokenize(string text)
    {
        var ids = new List<int>();
        foreach (string word in BasicTokens(text)) ids.AddRange(_wordPiece.EncodeToIds(word, addSpecialTokens: false));
        return ids;
    }

    /// <summary>
    /// Hugging Face's <c>BasicTokenizer</c>: drops control characters, spaces out CJK ideographs, splits on white space,
    /// lower-cases and strips accents (uncased), and makes each punctuation character a word of its own.
    /// </summary>
    public IReadOnlyList<string> BasicTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var cleaned = new System.Text.StringBuilder(text.Length);
        foreach (System.Text.Rune rune in text.EnumerateRunes())
        {
            int code = rune.Value;
            if (code == 0 || code == 0xFFFD || IsControl(rune)) continue;
            if (IsWhitespace(rune)) cleaned.Append(' ');
            else if (IsCjk(code)) cleaned.Append(' ').Append(rune.ToString()).Append(' ');
            else cleaned.Append(rune.ToString());
        }
        var words = new List<string>();
        foreach (string token in cleaned.ToString().Normalize(System.Text.NormalizationForm.FormC).Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            string word = LowerCase ? StripAccents(token.ToLowerInvariant()) : token;
            var current = new System.Text.StringBuilder();
            foreach (System.Text.Rune rune in word.EnumerateRunes())
            {
                if (!IsPunctuation(rune))
                {
                    current.Append(rune.ToString());
                    continue;
                }
                if (current.Length > 0) words.Add(current.ToString());
                current.Clear();
                words.Add(rune.ToString());
            }
            if (current.Length > 0) words.Add(current.ToString());
        }
        return words;
    }

    private static string StripAccents(string text)
    {
        var kept = new System.Text.StringBuilder(text.Length);
        foreach (char c in text.Normalize(System.Text.NormalizationForm.FormD))
            if (char.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.NonSpacingMark) kept.Append(c);
        return kept.ToString();
    }

    // Hugging Face's _is_whitespace, _is_control, _is_punctuation and _is_chinese_char.
    private static bool IsWhitespace(System.Text.Rune rune) =>
        rune.Value is ' ' or '\t' or '\n' or '\r' || System.Text.Rune.GetUnicodeCategory(rune) == System.Globalization.UnicodeCategory.SpaceSeparator;

    private static bool IsControl(System.Text.Rune rune) =>
        rune.Value is not ('\t' or '\n' or '\r')
        && System.Text.Rune.GetUnicodeCategory(rune) is System.Globalization.UnicodeCategory.Control or System.Globalization.UnicodeCategory.Format;

    private static bool IsPunctuation(System.Text.Rune rune)
    {
        int c = rune.Value;
        // ASCII symbols such as $ + < = > ^ ` | ~ count as punctuation, as in BERT's original code.
        if (c is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126) return true;
        return System.Text.Rune.GetUnicodeCategory(rune) is System.Globalization.UnicodeCategory.ConnectorPunctuation
            or System.Globalization.UnicodeCategory.DashPunctuation or System.Globalization.UnicodeCategory.OpenPunctuation
            or System.Globalization.UnicodeCategory.ClosePunctuation or System.Globalization.UnicodeCategory.InitialQuotePunctuation
            or System.Globalization.UnicodeCategory.FinalQuotePunctuation or System.Globalization.UnicodeCategory.OtherPunctuation;
    }

    private static bool IsCjk(int c) =>
        c is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;

    /// <summary>
    /// Encodes one text or a pair as a sample: <c>input_ids</c>, <c>token_type_ids</c> and <c>attention_mask</c>
    /// (1D int64 tensors of one length). With <paramref name="maxLength"/>, tokens are removed one at a time from the end
    /// of the longer text until the whole fits (Hugging Face's <c>truncation="longest_first"</c>; the second text on a tie).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="maxLength"/> leaves no room for a token of each text.</exception>
    public Dictionary<string, Tensor> Encode(string text, string? pair = null, int? maxLength = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        List<int> first = [.. Tokenize(text)];
        List<int>? second = pair is null ? null : [.. Tokenize(pair)];
        int special = second is null ? 2 : 3;
        if (maxLength is { } max)
        {
            if (max < special + (second is null ? 0 : 2))
                throw new ArgumentException($"max_length {max} leaves no room for the text after the {special} special tokens.", nameof(maxLength));
            int excess = first.Count + (second?.Count ?? 0) + special - max;
            for (; excess > 0; excess--)
            {
                if (second is null || first.Count > second.Count) first.RemoveAt(first.Count - 1);
                else second.RemoveAt(second.Count - 1);
            }
        }
        var ids = new List<long>(first.Count + (second?.Count ?? 0) + special) { ClsTokenId };
        ids.AddRange(first.Select(i => (long)i));
        ids.Add(SepTokenId);
        int firstLength = ids.Count;
        if (second is not null)
        {
            ids.AddRange(second.Select(i => (long)i));
            ids.Add(SepTokenId);
        }
        long[] types = [.. Enumerable.Range(0, ids.Count).Select(i => i < firstLength ? 0L : 1L)];
        return new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            [Data.Batch.InputIds] = tensor(ids.ToArray()),
            [TokenTypeIds] = tensor(types),
            [Data.Batch.AttentionMask] = ones(ids.Count, dtype: ScalarType.Int64),
        };
    }

    /// <summary>The key of the segment ids, Hugging Face's <c>token_type_ids</c>.</summary>
    public const string TokenTypeIds = "token_type_ids";
}
