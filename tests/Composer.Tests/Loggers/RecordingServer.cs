using System.Net;
using System.Text;

namespace Composer.Tests.Loggers;

/// <summary>A local HTTP server that records every request and answers from a route table: MLflow's and Slack's stand-in.</summary>
internal sealed class RecordingServer : IDisposable
{
    private readonly HttpListener _listener;
    private readonly Func<string, string, string, (int Status, string Body)> _answer;

    public RecordingServer(Func<string, string, string, (int Status, string Body)> answer)
    {
        _answer = answer;
        for (int attempt = 0; ; attempt++)
        {
            int port = Random.Shared.Next(20000, 60000);
            // A listener whose Start failed (the port was taken) is disposed: each attempt needs a new one.
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                _listener = listener;
                Uri = new Uri($"http://127.0.0.1:{port}/");
                break;
            }
            catch (HttpListenerException) when (attempt < 20)
            {
                listener.Close();
            }
        }
        _ = Task.Run(ServeAsync);
    }

    public Uri Uri { get; private set; } = null!;

    /// <summary>Method, path with query, body and the Authorization header of each request, in order.</summary>
    public List<(string Method, string Path, string Body, string? Authorization)> Requests { get; } = [];

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (!_listener.IsListening)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }
            string body;
            using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8)) body = await reader.ReadToEndAsync();
            string path = context.Request.Url!.PathAndQuery;
            lock (Requests) Requests.Add((context.Request.HttpMethod, path, body, context.Request.Headers["Authorization"]));
            (int status, string answer) = _answer(context.Request.HttpMethod, path, body);
            context.Response.StatusCode = status;
            byte[] bytes = Encoding.UTF8.GetBytes(answer);
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
    }
}
