using System.Net;
using System.Net.Sockets;

namespace Composer.Tests.ObjectStores;

/// <summary>
/// A TCP proxy in front of an emulator that can stop it as a crash would, seen from the client: once armed with
/// <see cref="StopAfter"/>, the connection that carries the next <c>bytes</c> bytes toward the emulator is cut mid-stream
/// and every connection is refused (closed at once) until <see cref="Restart"/>, or for a given time.
/// </summary>
internal sealed class FaultProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private long _budget = long.MaxValue;
    private DateTime _downUntil = DateTime.MinValue;
    private int _cuts;

    public FaultProxy(Uri target)
    {
        _target = target.Port;
        _listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    public Uri Uri => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>Connections cut mid-stream.</summary>
    public int Cuts => _cuts;

    /// <summary>Connections refused while stopped.</summary>
    public int Refused { get; private set; }

    /// <summary>After <paramref name="bytes"/> more bytes toward the emulator, it stops for <paramref name="downFor"/> (forever by default).</summary>
    public void StopAfter(long bytes, TimeSpan? downFor = null)
    {
        _downFor = downFor ?? TimeSpan.FromDays(1);
        Interlocked.Exchange(ref _budget, bytes);
    }

    private TimeSpan _downFor;

    public void Restart()
    {
        Interlocked.Exchange(ref _budget, long.MaxValue);
        _downUntil = DateTime.MinValue;
    }

    private bool Down => DateTime.UtcNow < _downUntil;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            if (Down)
            {
                Refused++;
                client.Client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                continue;
            }
            _ = Task.Run(() => PumpAsync(client));
        }
    }

    private async Task PumpAsync(TcpClient client)
    {
        using var server = new TcpClient();
        using (client)
        {
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _target);
                using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                Task up = CopyAsync(client.GetStream(), server.GetStream(), counted: true, done.Token);
                Task down = CopyAsync(server.GetStream(), client.GetStream(), counted: false, done.Token);
                await Task.WhenAny(up, down);
                done.Cancel();
            }
            catch (Exception)
            {
                // A cut or a closed peer ends the connection; the client sees the failure.
            }
            client.Client.LingerState = new LingerOption(true, 0);
        }
    }

    private async Task CopyAsync(NetworkStream from, NetworkStream to, bool counted, CancellationToken cancellation)
    {
        byte[] buffer = new byte[8192];
        while (true)
        {
            int read = await from.ReadAsync(buffer, cancellation);
            if (read == 0) return;
            if (counted && Interlocked.Add(ref _budget, -read) < 0)
            {
                // The emulator "stops" mid-request: this connection dies and new ones are refused.
                _downUntil = DateTime.UtcNow + _downFor;
                Interlocked.Exchange(ref _budget, long.MaxValue);
                Interlocked.Increment(ref _cuts);
                return;
            }
            if (!counted && Down) return;
            await to.WriteAsync(buffer.AsMemory(0, read), cancellation);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
