using Composer.Core;
using Composer.Loggers;
using static TorchSharp.torch;

namespace Composer.Callbacks;

/// <summary>
/// Logs the first <c>numImages</c> inputs of a batch as images, as <c>composer.callbacks.ImageVisualizer</c>: under
/// <c>Images/Train</c> at every <c>interval</c> (before the forward pass), and under <c>Images/Eval</c> for the first
/// batch of every evaluation, to each destination that takes images (W&amp;B, TensorBoard). In <c>"segmentation"</c> mode
/// the predicted and true masks go with them, as <c>Images/Train/prediction</c> and <c>Images/Train/ground_truth</c>
/// (class index as gray level, ignored pixels white), logged after the forward pass.
/// </summary>
/// <remarks>
/// Inputs that are not images ([N, C, H, W] or [N, H, W]) are skipped, as Composer skips them. Images outside [0, 1]
/// (normalized inputs) are stretched to it, each on its own. Between intervals the handlers only compare a counter.
/// List it in <c>[Trainer(...)]</c>: its training events are inside the step.
/// </remarks>
public sealed class ImageVisualizer : Callback
{
    private long _lastLogged = -1;
    private bool _evalLogged;

    /// <summary>Creates the visualizer.</summary>
    /// <param name="interval">How often, in <c>ba</c> or <c>ep</c> (Composer's default <c>100ba</c>).</param>
    /// <param name="mode"><c>"input"</c> or <c>"segmentation"</c>.</param>
    /// <param name="numImages">How many of the batch's images.</param>
    /// <param name="channelsLast">The inputs are [N, H, W, C].</param>
    public ImageVisualizer([TimeString] string interval = "100ba", string mode = "input", int numImages = 8, bool channelsLast = false)
    {
        Interval = Time.Parse(interval);
        if (Interval.Unit is not (TimeUnit.Batch or TimeUnit.Epoch) || Interval.Value < 1)
            throw new ArgumentException($"Invalid time unit for parameter interval: {Interval}; use batches or epochs, such as \"100ba\".", nameof(interval));
        Segmentation = mode.ToLowerInvariant() switch
        {
            "input" => false,
            "segmentation" => true,
            _ => throw new ArgumentException($"Invalid mode: {mode}; use \"input\" or \"segmentation\".", nameof(mode)),
        };
        NumImages = numImages >= 1 ? numImages : throw new ArgumentOutOfRangeException(nameof(numImages), numImages, "Log at least one image.");
        ChannelsLast = channelsLast;
    }

    /// <summary>How often training images are logged.</summary>
    public Time Interval { get; }

    /// <summary>True in segmentation mode.</summary>
    public bool Segmentation { get; }

    /// <summary>How many images of a batch.</summary>
    public int NumImages { get; }

    /// <summary>Whether inputs are channels-last.</summary>
    public bool ChannelsLast { get; }

    /// <summary>Input mode: the training batch's images at the interval.</summary>
    [OnEvent(Event.BeforeForward)]
    public void BeforeForward(State state, Logger logger)
    {
        if (!Segmentation && IsDue(state)) Log(state, logger, "Images/Train", outputs: null);
    }

    /// <summary>Segmentation mode: the images with the predicted and true masks at the interval.</summary>
    [OnEvent(Event.AfterForward)]
    public void AfterForward(State state, Logger logger)
    {
        if (Segmentation && IsDue(state)) Log(state, logger, "Images/Train", state.Outputs);
    }

    /// <summary>An evaluation starts: its first batch will be logged.</summary>
    [OnEvent(Event.EvalStart)]
    public void EvalStart(State state) => _evalLogged = false;

    /// <summary>Input mode: the first evaluation batch's images.</summary>
    [OnEvent(Event.EvalBeforeForward)]
    public void EvalBeforeForward(State state, Logger logger)
    {
        if (Segmentation || _evalLogged) return;
        _evalLogged = true;
        Log(state, logger, "Images/Eval", outputs: null);
    }

    /// <summary>Segmentation mode: the first evaluation batch's images and masks.</summary>
    [OnEvent(Event.EvalAfterForward)]
    public void EvalAfterForward(State state, Logger logger)
    {
        if (!Segmentation || _evalLogged) return;
        _evalLogged = true;
        Log(state, logger, "Images/Eval", state.Outputs);
    }

    private bool IsDue(State state)
    {
        long now = (long)state.Timestamp.Get(Interval.Unit);
        if (now % (long)Interval.Value != 0 || now == _lastLogged) return false;
        _lastLogged = now;
        return true;
    }

    private void Log(State state, Logger logger, string name, Tensor? outputs)
    {
        Tensor inputs = state.Batch.Inputs;
        // Composer's _check_for_image_format: 3 or 4 dimensions, more than one value per sample.
        if (inputs.dim() is not (3 or 4) || inputs.numel() <= inputs.shape[0]) return;
        using var scope = NewDisposeScope();
        long count = Math.Min(NumImages, inputs.shape[0]);
        if (outputs is not null) count = Math.Min(count, Math.Min(outputs.shape[0], state.Batch.Targets.shape[0]));
        Tensor images = inputs.detach().narrow(0, 0, count);
        if (ChannelsLast && images.dim() == 4) images = images.permute(0, 3, 1, 2);
        logger.LogImages(name, Enumerable.Range(0, (int)count).Select(i => new LoggedImage(Stretch(images[i]))).ToList());
        if (outputs is null) return;

        Tensor classes = outputs.detach().narrow(0, 0, count);
        int axis = ChannelsLast ? -1 : 1;
        long numClasses = classes.shape[ChannelsLast ? classes.dim() - 1 : 1];
        Tensor predicted = classes.argmax(axis);
        Tensor truth = state.Batch.Targets.narrow(0, 0, count);
        // One-hot targets (same shape as the outputs) become indices, as Composer's infer_target_type.
        if (truth.shape.SequenceEqual(classes.shape)) truth = truth.argmax(axis);
        truth = where(truth < 0, numClasses, truth);
        logger.LogImages($"{name}/prediction", Masks(predicted, numClasses));
        logger.LogImages($"{name}/ground_truth", Masks(truth, numClasses));
    }

    private static List<LoggedImage> Masks(Tensor masks, long numClasses) =>
        Enumerable.Range(0, (int)masks.shape[0]).Select(i => new LoggedImage(masks[i].to_type(ScalarType.Float32) / numClasses)).ToList();

    private static Tensor Stretch(Tensor image)
    {
        Tensor x = image.to_type(ScalarType.Float32);
        double low = x.min().item<float>(), high = x.max().item<float>();
        if (low >= 0 && high <= 1) return x;
        return high > low ? (x - low) / (high - low) : zeros_like(x);
    }
}
