using Bunit;
using RefineWeb.Components.Pages;

namespace RefineWeb.Tests.Components;

public sealed class NotFoundTests : MudComponentTest
{
    [Fact]
    public void The_page_says_a_shared_link_may_have_been_revoked_and_leads_back_to_making_an_image()
    {
        var page = Bunit.Render<NotFound>();
        Assert.Contains("may have been revoked by its owner", page.Find("[data-testid=not-found]").TextContent);
        Assert.Equal("/", page.Find("a.mud-button-root").GetAttribute("href"));
    }
}
