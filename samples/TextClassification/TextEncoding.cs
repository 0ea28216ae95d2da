using Composer.Data;
using Microsoft.ML.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace TextClassification;

/// <summary>
/// Token ids for the model: GPT-2's byte-pair tokenizer (Microsoft.ML.Tokenizers with the vocabulary its data package
/// ships), then a compact vocabulary of the GPT-2 tokens seen at least twice in the training split, so the embedding
/// table holds ~15k rows instead of 50,257. Id 0 pads, id 1 stands for a token outside the vocabulary.
/// </summary>
public sealed class TextEncoding
{
    /// <summary>The id that pads sequences.</summary>
    public const long PadId = 0;
    private const long UnknownId = 1;

    private readonly Tokenizer _tokenizer;
    private readonly Dictionary<int, long> _compact;

    private TextEncoding(Tokenizer tokenizer, Dictionary<int, long> compact, int maxTokens)
    {
        _tokenizer = tokenizer;
        _compact = compact;
        MaxTokens = maxTokens;
    }

    /// <summary>Token ids run from 0 to this − 1.</summary>
    public long VocabularySize => _compact.Count + 2;

    /// <summary>Sequences are cut to this many tokens.</summary>
    public int MaxTokens { get; }

    /// <summary>Builds the vocabulary from the training texts.</summary>
    public static TextEncoding Fit(IEnumerable<string> trainTexts, int maxTokens, int minCount = 2)
    {
        Tokenizer tokenizer = TiktokenTokenizer.CreateForModel("gpt2");
        var counts = new Dictionary<int, int>();
        foreach (string text in trainTexts)
        {
            foreach (int id in tokenizer.EncodeToIds(text, maxTokens, out _, out _))
                counts[id] = counts.GetValueOrDefault(id) + 1;
        }
        var compact = new Dictionary<int, long>();
        foreach (int id in counts.Where(c => c.Value >= minCount).Select(c => c.Key).Order())
            compact[id] = compact.Count + 2;
        return new TextEncoding(tokenizer, compact, maxTokens);
    }

    /// <summary>The compact ids of <paramref name="text"/>'s first <see cref="MaxTokens"/> tokens (at least one).</summary>
    public long[] Encode(string text)
    {
        long[] ids = _tokenizer.EncodeToIds(text, MaxTokens, out _, out _).Select(id => _compact.GetValueOrDefault(id, UnknownId)).ToArray();
        return ids.Length > 0 ? ids : [UnknownId];
    }

    /// <summary>
    /// A dataset of encoded messages: each sample is <c>input_ids</c> (its own length) and <c>labels</c> (a scalar),
    /// made as tensors when the loader asks, so they live in the batch's dispose scope.
    /// </summary>
    public IDataset<IReadOnlyDictionary<string, Tensor>> Dataset(IReadOnlyList<Message> messages)
    {
        long[][] ids = messages.Select(m => Encode(m.Text)).ToArray();
        return Composer.Data.Dataset.From<IReadOnlyDictionary<string, Tensor>>(messages.Count, i => new Dictionary<string, Tensor>
        {
            [Batch.InputIds] = tensor(ids[i]),
            [Batch.Labels] = tensor((long)messages[i].Label),
        });
    }
}
