namespace Composer.ObjectStores;

/// <summary>
/// An object store operation that failed. <see cref="Transient"/> errors (a dropped connection, a timeout, a server
/// error) are retried, as Composer's <c>ObjectStoreTransientError</c>; the others (a missing bucket, refused
/// credentials) are reported at once with what to change. Messages never contain credentials.
/// </summary>
public sealed class ObjectStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed and what to do about it.</param>
    /// <param name="transient">True when trying again may succeed.</param>
    /// <param name="inner">The SDK's exception.</param>
    public ObjectStoreException(string message, bool transient = false, Exception? inner = null)
        : base(message, inner)
    {
        Transient = transient;
    }

    /// <summary>True when trying again may succeed.</summary>
    public bool Transient { get; }
}
