using System.Net;

namespace RefineWeb.Tests;

/// <summary>A browser's cookie jar for HttpClient and SignalR clients talking to the test server: every handler made
/// by <see cref="Over"/> sends the cookies earlier responses set (including Secure ones, over https://localhost).</summary>
public sealed class CookieJar
{
    public CookieContainer Cookies { get; } = new();

    public DelegatingHandler Over(HttpMessageHandler inner) => new Handler(Cookies) { InnerHandler = inner };

    /// <summary>The value of a cookie this jar holds for the test server, or null.</summary>
    public string? Find(string name) => Cookies.GetAllCookies().FirstOrDefault(c => c.Name == name)?.Value;

    sealed class Handler(CookieContainer cookies) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var uri = request.RequestUri!;
            var header = cookies.GetCookieHeader(uri);
            if (header.Length > 0) request.Headers.Add("Cookie", header);
            var response = await base.SendAsync(request, cancellationToken);
            if (response.Headers.TryGetValues("Set-Cookie", out var set))
                foreach (var cookie in set) cookies.SetCookies(uri, cookie);
            return response;
        }
    }
}
