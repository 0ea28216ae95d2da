using Composer.Core;
using Composer.Loggers;
using Composer.Models.Transformer;
using Composer.Text;
using static TorchSharp.torch;

namespace Composer.Callbacks;

/// <summary>
/// Continues a set of prompts with the model at an interval and at the end of training, and logs a <c>generations</c>
/// table of <c>prompt</c> and <c>generation</c> columns, as <c>composer.callbacks.Generate</c>: the prompts are
/// tokenized, left-padded, generated in batches of <c>batchSize</c> with <see cref="GptModel.Generate"/>'s options, and
/// the new tokens decoded.
/// </summary>
/// <remarks>
/// The model must be a <see cref="GptModel"/> (Composer requires a Hugging Face causal LM). Generation runs without
/// gradients in evaluation mode and restores the mode; its random draws come from a generator of its own, so sampling
/// does not move the training run's random state. Only rank 0 logs the table.
/// </remarks>
public sealed class Generate : Callback
{
    private readonly Func<State, Event, bool> _isDue;
    private long _lastBatch = -1;
    private readonly Generator _generator;

    /// <summary>Creates the callback.</summary>
    /// <param name="prompts">The texts to continue.</param>
    /// <param name="interval">How often (<c>"100ba"</c>, <c>"1ep"</c>); also at the end of training.</param>
    /// <param name="tokenizer">Turns the prompts into ids and the generations back into text.</param>
    /// <param name="batchSize">Prompts per generation batch; all of them by default.</param>
    /// <param name="maxNewTokens">Tokens to generate per prompt.</param>
    /// <param name="doSample">Sample instead of taking the most likely token.</param>
    /// <param name="temperature">The sampling temperature.</param>
    /// <param name="topK">Sample among the k most likely tokens only.</param>
    /// <param name="topP">Sample among the most likely tokens whose probability reaches p.</param>
    /// <param name="seed">The seed of the sampling generator.</param>
    public Generate(IReadOnlyList<string> prompts, [TimeString] string interval, ITextTokenizer tokenizer, int? batchSize = null,
        int maxNewTokens = 20, bool doSample = false, double temperature = 1.0, int? topK = null, double? topP = null, long seed = 42)
    {
        if (prompts is null || prompts.Count == 0) throw new ArgumentException("Give at least one prompt.", nameof(prompts));
        Prompts = prompts;
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        BatchSize = batchSize ?? prompts.Count;
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Generate at least one prompt at a time.");
        MaxNewTokens = maxNewTokens;
        DoSample = doSample;
        Temperature = temperature;
        TopK = topK;
        TopP = topP;
        Time every = IntervalScheduler.RequireInterval(Time.Parse(interval), nameof(interval), "The generation interval", allowZero: false);
        // Composer's create_interval_scheduler(interval, include_end_of_training=True).
        _isDue = new IntervalScheduler(every, Event.EpochEnd, Event.BatchEnd, Event.BatchEnd, Event.EpochEnd).IsDue;
        _generator = new Generator((ulong)seed);
    }

    /// <summary>The prompts.</summary>
    public IReadOnlyList<string> Prompts { get; }

    /// <summary>The tokenizer.</summary>
    public ITextTokenizer Tokenizer { get; }

    /// <summary>Prompts per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Tokens generated per prompt.</summary>
    public int MaxNewTokens { get; }

    /// <summary>Whether tokens are sampled.</summary>
    public bool DoSample { get; }

    /// <summary>The sampling temperature.</summary>
    public double Temperature { get; }

    /// <summary>The top-k cut, if any.</summary>
    public int? TopK { get; }

    /// <summary>The nucleus cut, if any.</summary>
    public double? TopP { get; }

    /// <summary>The generations of the last run, in prompt order.</summary>
    public IReadOnlyList<string> LastGenerations { get; private set; } = [];

    /// <summary>At the end of a due batch.</summary>
    [OnEvent(Event.BatchEnd)]
    public void AtBatchEnd(State state, Logger logger) => MaybeGenerate(state, logger, Event.BatchEnd);

    /// <summary>At the end of a due epoch.</summary>
    [OnEvent(Event.EpochEnd)]
    public void AtEpochEnd(State state, Logger logger) => MaybeGenerate(state, logger, Event.EpochEnd);

    private void MaybeGenerate(State state, Logger logger, Event now)
    {
        if (!_isDue(state, now) || state.Timestamp.Batch == _lastBatch) return;
        _lastBatch = state.Timestamp.Batch;
        if (state.Model is not GptModel model)
            throw new InvalidOperationException($"Generate continues prompts with a causal language model (GptModel), not {state.Model.GetType().Name}.");
        var generations = new List<string>(Prompts.Count);
        for (int start = 0; start < Prompts.Count; start += BatchSize)
        {
            using var scope = NewDisposeScope();
            long[][] encoded = [.. Prompts.Skip(start).Take(BatchSize).Select(Tokenizer.Encode)];
            int width = encoded.Max(e => e.Length);
            // Left padding, as Composer sets tokenizer.padding_side = 'left': every prompt ends where generation starts.
            long[] ids = [.. encoded.SelectMany(e => Enumerable.Repeat(Tokenizer.PadId, width - e.Length).Concat(e))];
            long[] mask = [.. encoded.SelectMany(e => Enumerable.Repeat(0L, width - e.Length).Concat(Enumerable.Repeat(1L, e.Length)))];
            Tensor input = tensor(ids, [encoded.Length, width]).to(state.Device);
            Tensor attention = tensor(mask, [encoded.Length, width]).to(state.Device);
            Tensor output = model.Generate(input, attention, MaxNewTokens, DoSample, Temperature, TopK, TopP, Tokenizer.EndOfTextId, _generator);
            long[] all = output.cpu().data<long>().ToArray();
            long total = output.shape[1];
            for (int row = 0; row < encoded.Length; row++)
            {
                IEnumerable<long> fresh = all.Skip((int)(row * total + width)).Take((int)(total - width));
                generations.Add(Tokenizer.Decode(Tokenizer.EndOfTextId is { } eos ? fresh.TakeWhile(id => id != eos) : fresh));
            }
        }
        LastGenerations = generations;
        if (state.Rank != 0) return;
        logger.LogTable("generations", ["prompt", "generation"], [.. Prompts.Select((p, i) => (IReadOnlyList<object>)[p, generations[i]])]);
    }
}
