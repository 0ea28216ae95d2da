using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Composer.Generators.Model;

/// <summary>
/// A diagnostic the generator reports, as values the incremental cache can compare: the descriptor's id, the location's
/// file and spans, and the message arguments (Diagnostic and Location hold syntax trees, which would defeat the cache).
/// </summary>
internal sealed record DiagnosticInfo(string Id, string FilePath, TextSpan Span, LinePositionSpan Lines, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location location, params string[] arguments)
    {
        FileLinePositionSpan lines = location.GetLineSpan();
        return new DiagnosticInfo(descriptor.Id, lines.Path ?? "", location.SourceSpan, lines.Span, arguments.ToEquatableArray());
    }

    /// <summary>The diagnostic, with <paramref name="descriptor"/> (the one <see cref="Id"/> names).</summary>
    public Diagnostic ToDiagnostic(DiagnosticDescriptor descriptor) =>
        Diagnostic.Create(descriptor, Location.Create(FilePath, Span, Lines), Arguments.Select(a => (object?)a).ToArray());
}
