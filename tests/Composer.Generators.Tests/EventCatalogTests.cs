using Composer.Generators.Model;

namespace Composer.Generators.Tests;

public class EventCatalogTests
{
    [Test]
    public void GeneratorEventsMatchTheRuntimeEnumByValue()
    {
        string[] runtime = Enum.GetValues<Composer.Core.Event>().OrderBy(e => (int)e).Select(e => e.ToString()).ToArray();
        Assert.That(Events.Names, Is.EqualTo(runtime));
        Assert.That(runtime, Has.Length.EqualTo(40));
    }

    [Test]
    public void OnlyComposersAfterPrefixedEventsRunInReverse()
    {
        string[] reversed = Enumerable.Range(0, Events.Names.Length).Where(Events.RunsInReverse).Select(Events.NameOf).ToArray();
        Assert.That(reversed, Is.EqualTo(new[] { "AfterLoad", "AfterDataloader", "AfterForward", "AfterLoss", "AfterBackward", "AfterTrainBatch" }));
    }

    [Test]
    public void TheGeneratorsLossInterpolationValueMatchesTheRuntimeEnum() =>
        Assert.That(Parsing.TrainerParser.InterpolatedLoss, Is.EqualTo((int)Composer.Core.Rewrite.InterpolatedLoss));
}
