using System.Text.Json.Nodes;
using Composer.Core;
using Composer.Loggers;
using Composer.Tests.Training;

namespace Composer.Tests.Loggers;

/// <summary>The Slack logger's messages, as a recording server receives them.</summary>
[NonParallelizable]
public class SlackLoggerTests
{
    private static InMemoryLogger Run(SlackLogger slack)
    {
        var log = new InMemoryLogger();
        new BareOptionsTrainer(TestSetup.Options("2ep", evalInterval: "1ep", loggers: [log, slack], logInterval: 1)).Fit();
        return log;
    }

    private static List<Dictionary<string, string>> Sections(RecordingServer server) => server.Requests.Select(r => JsonNode.Parse(r.Body)!["blocks"]!.AsArray()
        .Where(b => (string?)b!["type"] == "section")
        .Select(b => ((string)b!["text"]!["text"]!)[1..].Split(":* ", 2))
        .ToDictionary(p => p[0], p => p[1])).ToList();

    [Test]
    public void AWebhookGetsTheChosenValuesAtTheFirstAndEveryNthBatchAndAtTheEnd()
    {
        using var server = new RecordingServer((_, _, _) => (200, "ok"));
        using var slack = new SlackLogger(["loss/train/total", @"metrics/eval/.*"], logInterval: "2ba", webhookUrl: server.Uri + "hook");
        InMemoryLogger log = Run(slack);

        Assert.That(server.Requests.Select(r => r.Path), Is.All.EqualTo("/hook"));
        var messages = Sections(server);
        // Sent after batches 1, 2, 4 and 6; the last evaluation (at the end of batch 6's epoch) comes in the same or a final message.
        var losses = messages.Where(m => m.ContainsKey("loss/train/total")).Select(m => double.Parse(m["loss/train/total"], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var logged = log.Data["loss/train/total"].ToDictionary(v => v.Timestamp.Batch, v => v.Value);
        Assert.That(losses, Is.EqualTo(new[] { logged[0], logged[1], logged[3], logged[5] }), "the newest value at each send");
        Assert.That(messages.SelectMany(m => m.Keys).Distinct(), Is.EquivalentTo(new[] { "loss/train/total", "metrics/eval/Accuracy" }), "only the chosen keys");
        Assert.That(messages.Count(m => m.ContainsKey("metrics/eval/Accuracy")), Is.EqualTo(2), "both evaluations");
        Assert.That((string?)JsonNode.Parse(server.Requests[0].Body)!["text"], Is.EqualTo("Logged 1 items to Slack"));
    }

    [Test]
    public void TheWebApiGetsTheChannelAndTokenAndAFullBufferSendsWithTheStepAsHeader()
    {
        using var server = new RecordingServer((_, _, _) => (200, """{"ok":true}"""));
        using var slack = new SlackLogger([".*"], logInterval: "100ba", maxLogsPerMessage: 2, apiKey: "xoxb-test", channelId: "C123", apiBase: server.Uri.ToString());
        Run(slack);
        Assert.That(server.Requests.Select(r => (r.Path, r.Authorization)), Is.All.EqualTo(("/chat.postMessage", "Bearer xoxb-test")));
        var bodies = server.Requests.Select(r => JsonNode.Parse(r.Body)!).ToList();
        Assert.That(bodies.Select(b => (string?)b["channel"]), Is.All.EqualTo("C123"));
        Assert.That(bodies.Select(b => b["blocks"]!.AsArray().Count(x => (string?)x!["type"] == "section")), Is.All.LessThanOrEqualTo(2));
        // A buffer filled by metrics mid-interval is sent at once, with the batch as a header block after the sections.
        Assert.That(bodies.Any(b => b["blocks"]!.AsArray().Last() is JsonNode last && (string?)last["type"] == "header"));
    }

    [Test]
    public void AFailingSlackNeverStopsTraining()
    {
        using var server = new RecordingServer((_, _, _) => (500, "server_error"));
        using var slack = new SlackLogger(["loss/.*"], webhookUrl: server.Uri.ToString());
        var stderr = new StringWriter();
        TextWriter original = Console.Error;
        Console.SetError(stderr);
        InMemoryLogger log;
        try
        {
            log = Run(slack);
        }
        finally
        {
            Console.SetError(original);
        }
        Assert.That(log.Data["loss/train/total"], Has.Count.EqualTo(6));
        Assert.That(stderr.ToString(), Does.Contain("SlackLogger: could not post a message: Slack answered 500: server_error"));
    }

    [Test]
    public void NoKeysOrNoDestinationIsAClearError()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => new SlackLogger([], webhookUrl: "http://x"))!.Message, Does.Contain("at least one key"));
        string? hook = Environment.GetEnvironmentVariable("SLACK_WEBHOOK_URL");
        Assert.That(Assert.Throws<ArgumentException>(() => new SlackLogger(["a"], apiKey: "", channelId: "", webhookUrl: hook is null ? null : ""))!.Message,
            Does.Contain("SLACK_WEBHOOK_URL"));
    }
}
