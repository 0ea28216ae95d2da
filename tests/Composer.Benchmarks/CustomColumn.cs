using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Composer.Benchmarks;

/// <summary>The parts of a BenchmarkDotNet column that do not vary: a column here only names itself and computes its value.</summary>
public abstract class CustomColumn(string name, string legend, UnitType unitType) : IColumn
{
    /// <inheritdoc/>
    public string Id => GetType().FullName!;
    /// <inheritdoc/>
    public string ColumnName => name;
    /// <inheritdoc/>
    public bool AlwaysShow => true;
    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;
    /// <inheritdoc/>
    public int PriorityInCategory => 0;
    /// <inheritdoc/>
    public bool IsNumeric => true;
    /// <inheritdoc/>
    public UnitType UnitType => unitType;
    /// <inheritdoc/>
    public string Legend => legend;
    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;
    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
    /// <inheritdoc/>
    public abstract string GetValue(Summary summary, BenchmarkCase benchmarkCase);
}
