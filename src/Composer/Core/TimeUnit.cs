// Compiled into the generator too (COMPOSER_GENERATOR, internal there), with TimeParser.
namespace Composer.Core;

/// <summary>The units a time (<c>Composer.Core.Time</c>) is counted in, with Composer's suffixes.</summary>
#if COMPOSER_GENERATOR
internal
#else
public
#endif
enum TimeUnit
{
    /// <summary>Iterations, suffix <c>iter</c>.</summary>
    Iteration,
    /// <summary>Epochs, suffix <c>ep</c>.</summary>
    Epoch,
    /// <summary>Batches (optimizer steps), suffix <c>ba</c>.</summary>
    Batch,
    /// <summary>Samples, suffix <c>sp</c>.</summary>
    Sample,
    /// <summary>Tokens, suffix <c>tok</c>.</summary>
    Token,
    /// <summary>A fraction of the whole run (<c>1dur</c> is the max duration), suffix <c>dur</c>.</summary>
    Duration,
    /// <summary>Wall-clock seconds, suffix <c>sec</c>.</summary>
    Second,
}
