namespace Composer.Distributed;

/// <summary>How a collective combines the ranks' values.</summary>
public enum ReduceOperation
{
    /// <summary>The sum over ranks.</summary>
    Sum,
    /// <summary>The sum divided by the number of ranks.</summary>
    Mean,
    /// <summary>The largest value.</summary>
    Max,
    /// <summary>The smallest value.</summary>
    Min,
}
