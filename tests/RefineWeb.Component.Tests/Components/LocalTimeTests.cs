using Bunit;
using RefineWeb.Components.Shared;

namespace RefineWeb.Tests.Components;

public sealed class LocalTimeTests : MudComponentTest
{
    static readonly DateTimeOffset Moment = new(2026, 12, 2, 21, 5, 9, TimeSpan.FromHours(2)); // 19:05:09 UTC

    [Fact]
    public void A_moment_is_written_in_utc_for_the_browser_to_rewrite_in_its_own_zone()
    {
        var time = Bunit.Render<LocalTime>(p => p.Add(x => x.Value, Moment)).Find("time");
        Assert.Equal("2026-12-02T19:05:09Z", time.GetAttribute("datetime"));
        Assert.Equal("datetime", time.GetAttribute("data-style"));
        Assert.Equal("2 Dec 2026, 19:05 UTC", time.TextContent); // what shows without script (the share page before it runs)
    }

    [Fact]
    public void The_day_alone_when_asked()
    {
        var time = Bunit.Render<LocalTime>(p => p.Add(x => x.Value, Moment).Add(x => x.DateOnly, true)).Find("time");
        Assert.Equal(("date", "2 Dec 2026"), (time.GetAttribute("data-style"), time.TextContent));
    }
}
