namespace Composer.Core;

/// <summary>
/// A member (algorithm or callback) with state that a checkpoint must keep for a resumed run to continue
/// exactly, like the <c>state_dict()</c>/<c>load_state_dict()</c> pair of Composer's <c>Serializable</c>.
/// </summary>
/// <remarks>
/// The checkpoint stores each member's <see cref="StateDict"/> under the member's full type name: a trainer has one
/// member of each type, compiled or given in <see cref="TrainerOptions.Callbacks"/> and <see cref="TrainerOptions.Loggers"/>.
/// </remarks>
public interface IStateful
{
    /// <summary>Writes what a resumed run needs into <paramref name="state"/>.</summary>
    void SaveState(StateDict state);

    /// <summary>Restores from <paramref name="state"/>, which <see cref="SaveState"/> wrote.</summary>
    void LoadState(StateDict state);
}
