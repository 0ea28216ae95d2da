using System.Text;
using Composer.Loggers.WandB.Records;

namespace Composer.Loggers.WandB;

/// <summary>
/// Keeps the console output of a run, as W&amp;B's client does: every line written to standard output or error still
/// reaches the console, and is also recorded (an output record per line, and <c>files/output.log</c>).
/// </summary>
internal sealed class ConsoleCapture : IDisposable
{
    private readonly WandBRun _run;
    private readonly TextWriter _out;
    private readonly TextWriter _error;
    private readonly StreamWriter _file;
    private readonly object _lock = new();

    public ConsoleCapture(WandBRun run)
    {
        _run = run;
        _out = Console.Out;
        _error = Console.Error;
        _file = new StreamWriter(Path.Combine(run.FilesFolder, "output.log"), append: false, new UTF8Encoding(false));
        Console.SetOut(new Tee(this, _out, OutputRecord.Types.OutputType.Stdout));
        Console.SetError(new Tee(this, _error, OutputRecord.Types.OutputType.Stderr));
    }

    public void Dispose()
    {
        Console.SetOut(_out);
        Console.SetError(_error);
        lock (_lock) _file.Dispose();
    }

    private void Record(OutputRecord.Types.OutputType stream, string line)
    {
        lock (_lock)
        {
            _run.Write(new Record { Output = new OutputRecord { OutputType = stream, Timestamp = WandBRun.Now(), Line = line + "\n" } });
            _file.WriteLine(line);
        }
    }

    private sealed class Tee(ConsoleCapture capture, TextWriter inner, OutputRecord.Types.OutputType stream) : TextWriter
    {
        private readonly StringBuilder _line = new();

        public override Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            inner.Write(value);
            if (value == '\n')
            {
                capture.Record(stream, _line.ToString().TrimEnd('\r'));
                _line.Clear();
            }
            else
            {
                _line.Append(value);
            }
        }

        public override void Write(string? value)
        {
            foreach (char c in value ?? "") Write(c);
        }

        public override void Flush() => inner.Flush();
    }
}
