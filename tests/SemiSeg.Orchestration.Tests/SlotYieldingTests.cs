using SemiSeg.Grains;

namespace SemiSeg.Orchestration.Tests;

public sealed class SlotYieldingTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan After = TimeSpan.FromSeconds(2), Window = TimeSpan.FromSeconds(60);

    private static YieldCandidate Started(string key, double secondsAgo) => new(key, Now.AddSeconds(-secondsAgo), 1);

    private static readonly YieldCandidate[] Running =
    [
        Started("old", 90),   // past the window: it would lose too much work
        Started("ten", 10),
        Started("three", 3),
        Started("sixty", 60), // the window is open-ended: 60 s is too old
    ];

    [Fact]
    public void EachRunThatWaitedLongEnoughTakesTheSlotOfTheYoungestRunWithinTheWindow()
    {
        Assert.Equal(["three"], SlotYielding.Choose([Now.AddSeconds(-5)], 0, Running, Now, After, Window));
        Assert.Equal(["three", "ten"], SlotYielding.Choose([Now.AddSeconds(-5), Now.AddSeconds(-2)], 0, Running, Now, After, Window));
        Assert.Equal(["three", "ten"], SlotYielding.Choose([Now.AddSeconds(-5), Now.AddSeconds(-4), Now.AddSeconds(-3)], 0, Running, Now, After, Window));
    }

    [Fact]
    public void NobodyYieldsForARunThatHasNotWaitedYetOrWhenEnoughAlreadyYield()
    {
        Assert.Empty(SlotYielding.Choose([Now.AddSeconds(-1.9)], 0, Running, Now, After, Window));
        Assert.Empty(SlotYielding.Choose([], 0, Running, Now, After, Window));
        Assert.Empty(SlotYielding.Choose([Now.AddSeconds(-5)], 1, Running, Now, After, Window));
        Assert.Equal(["three"], SlotYielding.Choose([Now.AddSeconds(-5), Now.AddSeconds(-9)], 1, Running, Now, After, Window));
    }

    [Fact]
    public void AZeroWindowTurnsYieldingOff()
    {
        Assert.Empty(SlotYielding.Choose([Now.AddSeconds(-30)], 0, Running, Now, After, TimeSpan.Zero));
    }

    [Fact]
    public void OptionsRefuseNegativeYieldSettings()
    {
        var options = new OrchestrationOptions { YieldAfter = TimeSpan.FromSeconds(-1) };
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("YieldAfter", error.Message, StringComparison.Ordinal);
        Assert.Contains("Fix:", error.Message, StringComparison.Ordinal);
    }
}
