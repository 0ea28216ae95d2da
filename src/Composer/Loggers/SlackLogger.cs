using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Composer.Core;
using Composer.ObjectStores;

namespace Composer.Loggers;

/// <summary>
/// Posts chosen metrics and hyperparameters to Slack, as <c>composer.loggers.SlackLogger</c>: values whose names match
/// <c>includeKeys</c> (regular expressions matched at the start of the name) are buffered, the newer value of a name
/// replacing the older, and sent as Block Kit sections (<c>*name:* value</c>) every <c>logInterval</c> (at the first
/// and every n-th batch or epoch), whenever <c>maxLogsPerMessage</c> (at most 50) are waiting, and when training ends.
/// </summary>
/// <remarks>
/// To an incoming webhook (<c>webhookUrl</c> or <c>SLACK_WEBHOOK_URL</c>), or, as Composer, through
/// <c>chat.postMessage</c> with a bot token and channel (<c>SLACK_LOGGING_API_KEY</c>, <c>SLACK_LOGGING_CHANNEL_ID</c>).
/// Messages go out from a background queue; a failure is printed on stderr and never stops training.
/// </remarks>
public sealed class SlackLogger : LoggerDestination, IDisposable
{
    private readonly Regex _include;
    private readonly Func<IReadOnlyDictionary<string, string>, long?, JsonArray> _format;
    private readonly Time _interval;
    private readonly int _maxLogs;
    private readonly Dictionary<string, string> _buffer = new(StringComparer.Ordinal);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly UploadQueue _queue = new(nameof(SlackLogger), capacity: 16);
    private readonly Uri _endpoint;
    private readonly string? _channel;

    /// <summary>Creates the logger.</summary>
    /// <param name="includeKeys">Regular expressions of the names to send; at least one.</param>
    /// <param name="formatter">Builds a message's blocks from its values (and the step, when a full buffer sends it mid-interval); Composer's format by default.</param>
    /// <param name="logInterval">How often to send, in <c>ba</c> or <c>ep</c> (default <c>1ba</c>).</param>
    /// <param name="maxLogsPerMessage">Values per message, at most 50 (Slack's limit of blocks).</param>
    /// <param name="webhookUrl">An incoming webhook; <c>SLACK_WEBHOOK_URL</c> by default.</param>
    /// <param name="apiKey">A bot token for <c>chat.postMessage</c>; <c>SLACK_LOGGING_API_KEY</c> by default.</param>
    /// <param name="channelId">The channel for <c>chat.postMessage</c>; <c>SLACK_LOGGING_CHANNEL_ID</c> by default.</param>
    /// <param name="apiBase">Slack's Web API root (a test server's in tests).</param>
    public SlackLogger(IReadOnlyList<string> includeKeys, Func<IReadOnlyDictionary<string, string>, long?, JsonArray>? formatter = null,
        [TimeString] string logInterval = "1ba", int maxLogsPerMessage = 50, string? webhookUrl = null, string? apiKey = null,
        string? channelId = null, string apiBase = "https://slack.com/api/")
    {
        if (includeKeys is null || includeKeys.Count == 0)
            throw new ArgumentException("Name at least one key to send, for example [\"loss/train/total\", \"metrics/eval/.*\"].", nameof(includeKeys));
        _include = new Regex("^(?:(" + string.Join(")|(", includeKeys) + "))", RegexOptions.CultureInvariant);
        _format = formatter ?? DefaultBlocks;
        _interval = Time.Parse(logInterval);
        if (_interval.Unit is not (TimeUnit.Epoch or TimeUnit.Batch) || _interval.Value < 1)
            throw new ArgumentException($"logInterval is in batches or epochs, such as \"1ba\" or \"1ep\", not \"{logInterval}\".", nameof(logInterval));
        _maxLogs = Math.Clamp(maxLogsPerMessage, 1, 50);
        webhookUrl ??= Environment.GetEnvironmentVariable("SLACK_WEBHOOK_URL");
        if (!string.IsNullOrEmpty(webhookUrl))
        {
            _endpoint = new Uri(webhookUrl);
            return;
        }
        apiKey ??= Environment.GetEnvironmentVariable("SLACK_LOGGING_API_KEY");
        _channel = channelId ?? Environment.GetEnvironmentVariable("SLACK_LOGGING_CHANNEL_ID");
        if (string.IsNullOrEmpty(apiKey) || string.IsNullOrEmpty(_channel))
            throw new ArgumentException("Give a webhookUrl (or SLACK_WEBHOOK_URL), or a bot token and channel (SLACK_LOGGING_API_KEY and SLACK_LOGGING_CHANNEL_ID).");
        _endpoint = new Uri(new Uri(apiBase.TrimEnd('/') + "/"), "chat.postMessage");
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
    }

    /// <inheritdoc/>
    public override void LogMetrics(Timestamp timestamp, IReadOnlyDictionary<string, double> metrics) =>
        Buffer(metrics.Select(m => (m.Key, m.Value.ToString(CultureInfo.InvariantCulture))), timestamp.Batch);

    /// <inheritdoc/>
    public override void LogHyperparameters(IReadOnlyDictionary<string, object> hyperparameters) =>
        Buffer(hyperparameters.Select(h => (h.Key, Convert.ToString(h.Value, CultureInfo.InvariantCulture) ?? "")), null);

    /// <summary>Sends at the first and every n-th batch with a batch interval.</summary>
    [OnEvent(Event.BatchEnd)]
    public void AtBatchEnd(State state)
    {
        long batch = state.Timestamp.Batch;
        if (_interval.Unit == TimeUnit.Batch && (batch % (long)_interval.Value == 0 || batch == 1)) Flush(null);
    }

    /// <summary>Sends at the first and every n-th epoch with an epoch interval.</summary>
    [OnEvent(Event.EpochEnd)]
    public void AtEpochEnd(State state)
    {
        long epoch = state.Timestamp.Epoch;
        if (_interval.Unit == TimeUnit.Epoch && (epoch % (long)_interval.Value == 0 || epoch == 1)) Flush(null);
    }

    /// <summary>Sends what is left and waits for the messages to go out; failures are printed, not thrown.</summary>
    [OnEvent(Event.FitEnd)]
    public void AtFitEnd(State state)
    {
        Flush(null);
        try
        {
            _queue.WaitForAll();
        }
        catch (ObjectStoreException e)
        {
            Console.Error.WriteLine($"SlackLogger: {e.Message}");
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();

    /// <summary>Composer's blocks: a <c>*name:* value</c> section each, and the step as a header after them when given.</summary>
    public static JsonArray DefaultBlocks(IReadOnlyDictionary<string, string> values, long? step)
    {
        var blocks = new JsonArray();
        foreach ((string key, string value) in values)
            blocks.Add(new JsonObject { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = $"*{key}:* {value}" } });
        if (blocks.Count > 0 && step is { } header)
            blocks.Add(new JsonObject { ["type"] = "header", ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = header.ToString(CultureInfo.InvariantCulture) } });
        return blocks;
    }

    private void Buffer(IEnumerable<(string Key, string Value)> values, long? step)
    {
        foreach ((string key, string value) in values)
            if (_include.IsMatch(key)) _buffer[key] = value;
        if (_buffer.Count >= _maxLogs) Flush(step);
    }

    private void Flush(long? step)
    {
        var entries = _buffer.ToList();
        _buffer.Clear();
        for (int at = 0; at < entries.Count; at += _maxLogs)
        {
            var chunk = entries.Skip(at).Take(_maxLogs).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
            var message = new JsonObject { ["blocks"] = _format(chunk, step), ["text"] = $"Logged {chunk.Count} items to Slack" };
            if (_channel is not null) message["channel"] = _channel;
            _queue.Enqueue("post a message", Send(message));
        }
    }

    private Func<CancellationToken, Task> Send(JsonObject message) => async cancellation =>
    {
        using HttpResponseMessage response = await _http.PostAsJsonAsync(_endpoint, message, cancellation).ConfigureAwait(false);
        string body = await response.Content.ReadAsStringAsync(cancellation).ConfigureAwait(false);
        // Webhooks answer "ok"; the Web API answers {"ok": false, "error": ...} with status 200 when it refuses.
        if (!response.IsSuccessStatusCode || body.Contains("\"ok\":false", StringComparison.Ordinal))
            throw new HttpRequestException($"Slack answered {(int)response.StatusCode}: {body}");
    };
}
