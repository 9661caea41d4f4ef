namespace SemiSeg.Deploy.Tests;

public class InterpolationTests
{
    [Theory]
    [InlineData("${A:-x}", null, "x")]
    [InlineData("${A:-x}", "", "x")]
    [InlineData("${A-x}", "", "")]
    [InlineData("${A:-x}", "y", "y")]
    [InlineData("127.0.0.1:${PORT:-8080}:8080", null, "127.0.0.1:8080:8080")]
    [InlineData("$A/b", "v", "v/b")]
    [InlineData("${A:+set}", "v", "set")]
    [InlineData("${A:+set}", null, "")]
    [InlineData("cost $$5", null, "cost $5")]
    public void Apply_FollowsComposeRules(string text, string? value, string expected)
    {
        var variables = new Dictionary<string, string>();
        if (value is not null)
        {
            variables["A"] = value;
            variables["PORT"] = value;
        }
        Assert.Equal(expected, Interpolation.Apply(text, variables));
    }

    [Fact]
    public void References_TellDefaultsFromRequiredVariables()
    {
        var refs = Interpolation.References("${A:-1} ${B} $C ${D:?set D} $$E ${F+x}");
        Assert.Equal(["A", "B", "C", "D", "F"], refs.Select(r => r.Name));
        Assert.Equal([true, false, false, false, true], refs.Select(r => r.HasFallback));
    }

    [Fact]
    public void References_RejectMalformedBraces()
    {
        var e = Assert.Throws<FormatException>(() => Interpolation.References("${A B}"));
        Assert.Contains("invalid interpolation", e.Message, StringComparison.Ordinal);
    }
}
