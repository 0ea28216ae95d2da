using System.Text;

namespace Composer.Generators.Emitting;

/// <summary>Writes indented C#, as dotnet/runtime's generators do; braces open and close indentation.</summary>
internal sealed class SourceWriter
{
    private const string IndentUnit = "    ";
    private readonly StringBuilder _text = new();
    private int _indent;

    public SourceWriter Line(string line = "")
    {
        if (line.Length > 0)
        {
            for (int i = 0; i < _indent; i++) _text.Append(IndentUnit);
            _text.Append(line);
        }
        _text.Append('\n');
        return this;
    }

    public SourceWriter Open(string line)
    {
        Line(line);
        Line("{");
        _indent++;
        return this;
    }

    public SourceWriter OpenBrace()
    {
        Line("{");
        _indent++;
        return this;
    }

    public SourceWriter Close(string closing = "}")
    {
        if (_indent == 0) throw new InvalidOperationException($"Close(\"{closing}\") without an open block.");
        _indent--;
        return Line(closing);
    }

    /// <summary>The text; every opened block must be closed.</summary>
    public override string ToString() => _indent == 0
        ? _text.ToString()
        : throw new InvalidOperationException($"{_indent} block(s) opened and never closed.");
}
