using Composer.Data;
using Composer.Text;

namespace Composer.Tests.Models;

/// <summary>
/// BERT's uncased WordPiece on MiniLM's vocabulary. The expected ids are the vocabulary's lines (0-based) of the pieces
/// Hugging Face's BertTokenizer makes: lower case, accents stripped, punctuation split off, ## continuations, [UNK].
/// </summary>
public class BertTokenizerTests
{
    private static BertTokenizer Tokenizer => BertTokenizer.FromPretrained(MiniLMFixture.Folder);

    private static long Id(string piece) =>
        Array.IndexOf(File.ReadAllLines(Path.Combine(MiniLMFixture.Folder, "vocab.txt")), piece) is var i and >= 0
            ? i : throw new InvalidOperationException($"'{piece}' is not in the vocabulary");

    [Test]
    public void TheVocabularyHasOneTokenPerLineWithBertsSpecialIds()
    {
        Assert.That(Tokenizer.ClsTokenId, Is.EqualTo(101));
        Assert.That(Tokenizer.SepTokenId, Is.EqualTo(102));
        Assert.That(Tokenizer.PadTokenId, Is.EqualTo(0));
        Assert.That(Tokenizer.UnknownTokenId, Is.EqualTo(100));
        Assert.That(File.ReadAllText(Path.Combine(MiniLMFixture.Folder, "vocab.txt")), Does.Not.Contain("\r"));
    }

    [Test]
    public void AccentsCasePunctuationAndSubwordsAreSplitAsBertDoes()
    {
        Assert.That(Tokenizer.Tokenize("Héllo, World! Café naïve"),
            Is.EqualTo(new[] { "hello", ",", "world", "!", "cafe", "naive" }.Select(Id)));
        Assert.That(Tokenizer.Tokenize("tokenization don't"), Is.EqualTo(new[] { "token", "##ization", "don", "'", "t" }.Select(Id)));
        // A symbol outside the vocabulary is [UNK]; one inside it is itself (Microsoft.ML.Tokenizers' own basic step drops both).
        Assert.That(Tokenizer.Tokenize("a ☃ b ≈ c"), Is.EqualTo(new[] { Id("a"), 100, Id("b"), Id("≈"), Id("c") }));
        // Control characters vanish, CJK ideographs are words of their own, $ splits off like punctuation.
        Assert.That(Tokenizer.BasicTokens("x\u0007y 中文 $5"), Is.EqualTo(new[] { "xy", "中", "文", "$", "5" }));
    }

    [Test]
    public void APairHasSpecialTokensSegmentsAndAMask()
    {
        var sample = Tokenizer.Encode("Is this it?", "Yes");
        long[] expected = [101, Id("is"), Id("this"), Id("it"), Id("?"), 102, Id("yes"), 102];
        Assert.That(sample[Batch.InputIds].data<long>().ToArray(), Is.EqualTo(expected));
        Assert.That(sample[BertTokenizer.TokenTypeIds].data<long>().ToArray(), Is.EqualTo(new long[] { 0, 0, 0, 0, 0, 0, 1, 1 }));
        Assert.That(sample[Batch.AttentionMask].data<long>().ToArray(), Is.All.EqualTo(1));
    }

    [Test]
    public void LongestFirstTruncationTakesFromTheLongerTextAndTheSecondOnATie()
    {
        // "a b c d e" (5) and "f g" (2) in 8: 7 + 3 specials = 10, two removed from the first text.
        var sample = Tokenizer.Encode("a b c d e", "f g", maxLength: 8);
        Assert.That(sample[Batch.InputIds].data<long>().ToArray(),
            Is.EqualTo(new[] { 101, Id("a"), Id("b"), Id("c"), 102, Id("f"), Id("g"), 102 }));
        // 3 and 3 in 7: one removed, from the second text on the tie.
        var tie = Tokenizer.Encode("a b c", "d e f", maxLength: 8);
        Assert.That(tie[Batch.InputIds].data<long>().ToArray(),
            Is.EqualTo(new[] { 101, Id("a"), Id("b"), Id("c"), 102, Id("d"), Id("e"), 102 }));
        Assert.Throws<ArgumentException>(() => Tokenizer.Encode("a", "b", maxLength: 4));
    }

    [Test]
    public void TheCollatorPadsPairsToTheLongestWithZeroSegmentsAndMask()
    {
        var batch = new PaddingCollator { PadTokenId = Tokenizer.PadTokenId }.Collate([Tokenizer.Encode("a", "b c"), Tokenizer.Encode("a")]);
        Assert.That(batch[Batch.InputIds].shape, Is.EqualTo(new long[] { 2, 6 }));
        Assert.That(batch[Batch.InputIds][1].data<long>().ToArray(), Is.EqualTo(new[] { 101, Id("a"), 102, 0, 0, 0 }));
        Assert.That(batch[BertTokenizer.TokenTypeIds][0].data<long>().ToArray(), Is.EqualTo(new long[] { 0, 0, 0, 1, 1, 1 }));
        Assert.That(batch[Batch.AttentionMask][1].data<long>().ToArray(), Is.EqualTo(new long[] { 1, 1, 1, 0, 0, 0 }));
    }
}
