using System.IO.Compression;
using System.Text;

namespace TextClassification;

/// <summary>One labelled message: 1 for spam, 0 for ham.</summary>
public sealed record Message(string Text, int Label);

/// <summary>
/// The SpamAssassin public corpus as committed in data/ (see data/LICENSE.md): 6,046 messages, subject and body
/// start, one per line as <c>label&lt;TAB&gt;text</c>.
/// </summary>
public static class SpamCorpus
{
    /// <summary>The corpus file next to the program.</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "data", "spam-assassin.tsv.gz");

    /// <summary>Reads every message.</summary>
    public static IReadOnlyList<Message> Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"The corpus is missing at {path}; build the sample (it copies data/spam-assassin.tsv.gz) or run data/fetch.sh.", path);
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress), Encoding.UTF8);
        var messages = new List<Message>();
        while (reader.ReadLine() is { } line)
        {
            int tab = line.IndexOf('\t');
            if (tab != 1 || line[0] is not ('0' or '1'))
                throw new InvalidDataException($"Line {messages.Count + 1} of {path} is not 'label<TAB>text'.");
            messages.Add(new Message(line[(tab + 1)..], line[0] - '0'));
        }
        return messages;
    }

    /// <summary>A seeded shuffle split: the first <paramref name="trainShare"/> for training, the rest for evaluation.</summary>
    public static (Message[] Train, Message[] Eval) Split(IReadOnlyList<Message> messages, double trainShare, int seed)
    {
        Message[] shuffled = [.. messages];
        new Random(seed).Shuffle(shuffled);
        int train = (int)(shuffled.Length * trainShare);
        return (shuffled[..train], shuffled[train..]);
    }
}
