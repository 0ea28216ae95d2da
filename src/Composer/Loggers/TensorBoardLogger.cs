using Composer.Core;
using TorchSharp;
using TorchSharp.Modules;

namespace Composer.Loggers;

/// <summary>
/// Writes every logged value as a TensorBoard scalar through TorchSharp's own <c>SummaryWriter</c>, like
/// <c>composer.loggers.TensorboardLogger</c>: the tag is the metric's name, the step the batch count.
/// Open the folder with <c>tensorboard --logdir</c>.
/// </summary>
/// <param name="logDirectory">The folder for the event files; created if missing.</param>
public sealed class TensorBoardLogger(string logDirectory) : LoggerDestination
{
    private readonly SummaryWriter _writer = torch.utils.tensorboard.SummaryWriter(
        string.IsNullOrWhiteSpace(logDirectory) ? throw new ArgumentException("Give the folder for the event files.", nameof(logDirectory)) : logDirectory);

    /// <summary>The folder the event files are in.</summary>
    public string LogDirectory => _writer.LogDir;

    /// <inheritdoc/>
    public override void LogMetrics(Timestamp timestamp, IReadOnlyDictionary<string, double> metrics)
    {
        foreach ((string name, double value) in metrics)
            _writer.add_scalar(name, (float)value, checked((int)timestamp.Batch));
    }

    /// <inheritdoc/>
    public override void LogHyperparameters(IReadOnlyDictionary<string, object> hyperparameters)
    {
        foreach ((string name, object value) in hyperparameters)
            _writer.add_text($"hparams/{name}", Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "", 0);
    }
}
