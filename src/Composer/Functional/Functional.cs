namespace Composer;

/// <summary>
/// The algorithms as plain functions over tensors and modules, like <c>composer.functional</c>: use them in a
/// hand-written loop, or read them to see exactly what an algorithm computes. Each algorithm's folder holds
/// its part of this class.
/// </summary>
public static partial class Functional;
