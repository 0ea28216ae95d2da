using Composer.Core;

namespace Composer.Tests.Core;

public class TimeTests
{
    [TestCase("1ep", 1, TimeUnit.Epoch)]
    [TestCase("10ba", 10, TimeUnit.Batch)]
    [TestCase("512sp", 512, TimeUnit.Sample)]
    [TestCase("3e4tok", 30000, TimeUnit.Token)]
    [TestCase("0.5dur", 0.5, TimeUnit.Duration)]
    [TestCase("2iter", 2, TimeUnit.Iteration)]
    [TestCase("10BA", 10, TimeUnit.Batch)]
    [TestCase("1h30m", 5400, TimeUnit.Second)]
    [TestCase("45sec", 45, TimeUnit.Second)]
    public void ParsesComposerTimeStrings(string text, double value, TimeUnit unit)
    {
        Time time = Time.Parse(text);
        Assert.Multiple(() =>
        {
            Assert.That(time.Value, Is.EqualTo(value));
            Assert.That(time.Unit, Is.EqualTo(unit));
        });
    }

    [TestCase("1.5ep")]
    [TestCase("10xx")]
    [TestCase("")]
    [TestCase("-1ep")]
    [TestCase("-0.5dur")]
    [TestCase("ep")]
    public void RejectsMalformedTimesNamingTheAcceptedForms(string text)
    {
        var error = Assert.Throws<FormatException>(() => Time.Parse(text))!;
        Assert.That(error.Message, Does.Contain("'1ep', '10ba', '512sp', '3e4tok'").And.Contain("'0.5dur'"));
        Assert.That(Time.TryParse(text, out _), Is.False);
    }

    [Test]
    public void ArithmeticAndComparisonStayWithinOneUnit()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Time.Parse("3ba") + Time.Parse("4ba"), Is.EqualTo(Time.FromBatches(7)));
            Assert.That(Time.Parse("7ba") - Time.Parse("3ba"), Is.EqualTo(Time.FromBatches(4)));
            Assert.That(Time.Parse("5ba") / Time.Parse("20ba"), Is.EqualTo(Time.FromDuration(0.25)));
            Assert.That(Time.Parse("3ep") * 2, Is.EqualTo(Time.FromEpochs(6)));
            Assert.That(Time.Parse("2ep") < Time.Parse("3ep"), Is.True);
            Assert.That(Time.Parse("3ep") >= Time.Parse("3ep"), Is.True);
            Assert.That(Time.Parse("1ep") == Time.Parse("1ba"), Is.False);
            Assert.That(Time.Parse("10ba").ToString(), Is.EqualTo("10ba"));
        });
    }

    [Test]
    public void MixingUnitsIsAnErrorThatSaysWhy()
    {
        var error = Assert.Throws<InvalidOperationException>(() => _ = Time.Parse("1ep") + Time.Parse("1ba"))!;
        Assert.That(error.Message, Does.Contain("same unit"));
        Assert.Throws<InvalidOperationException>(() => _ = Time.Parse("1ep") < Time.Parse("1ba"));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = Time.Parse("1ba") - Time.Parse("2ba"));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = Time.Parse("3ba") * 0.5);
    }

    [Test]
    public void TimestampAdvancesEveryCounter()
    {
        Timestamp t = default(Timestamp)
            .ToNextBatch(32, 100, TimeSpan.FromSeconds(1))
            .ToNextBatch(8, 20, TimeSpan.FromSeconds(2));
        Assert.Multiple(() =>
        {
            Assert.That((t.Batch, t.BatchInEpoch, t.Sample, t.SampleInEpoch, t.Token), Is.EqualTo((2L, 2L, 40L, 40L, 120L)));
            Assert.That(t.TotalWallClock, Is.EqualTo(TimeSpan.FromSeconds(3)));
            Assert.That(t.BatchWallClock, Is.EqualTo(TimeSpan.FromSeconds(2)));
        });

        Timestamp next = t.ToNextEpoch();
        Assert.Multiple(() =>
        {
            Assert.That((next.Epoch, next.Batch, next.BatchInEpoch, next.SampleInEpoch, next.Sample), Is.EqualTo((1L, 2L, 0L, 0L, 40L)));
            Assert.That(next < Time.Parse("2ep"), Is.True);
            Assert.That(next >= Time.Parse("2ba"), Is.True);
            Assert.That(next < Time.Parse("41sp"), Is.True);
        });
    }
}
