using Composer.Generators.Model;

namespace Composer.Generators.Tests;

public class EventCatalogTests
{
    [Test]
    public void OnlyComposersAfterPrefixedEventsRunInReverse()
    {
        string[] reversed = Events.All.Where(Events.RunsInReverse).Select(e => e.ToString()).ToArray();
        Assert.That(reversed, Is.EqualTo(new[] { "AfterLoad", "AfterDataloader", "AfterForward", "AfterLoss", "AfterBackward", "AfterTrainBatch" }));
    }

    [Test]
    public void TheGeneratorCompilesTheRuntimesEventEnumItself()
    {
        // The same source file, so the same names at the same values; internal in the generator.
        Type generatorEvent = typeof(Events).Assembly.GetType("Composer.Core.Event")!;
        Assert.That(generatorEvent.IsPublic, Is.False, "internal in the generator, so it never clashes with the runtime's");
        Assert.That(Enum.GetNames(generatorEvent), Is.EqualTo(Enum.GetNames(typeof(Composer.Trainer).Assembly.GetType("Composer.Core.Event")!)));
        Assert.That(Events.All, Has.Length.EqualTo(40));
    }
}
