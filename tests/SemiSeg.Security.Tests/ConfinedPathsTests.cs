namespace SemiSeg.Security.Tests;

public sealed class ConfinedPathsTests : IDisposable
{
    private readonly string scratch = Directory.CreateTempSubdirectory("semiseg-confined-").FullName;

    public void Dispose() => Directory.Delete(scratch, recursive: true);

    [Fact]
    public void Combine_keeps_plain_names_inside_the_root()
    {
        string root = Path.Combine(scratch, "work");
        Assert.Equal(Path.Combine(root, "abc", "attempt-1"), ConfinedPaths.Combine(root, "abc", "attempt-1"));
        Assert.Equal(Path.Combine(root, "abc"), ConfinedPaths.Combine(root + "/", "abc"));
    }

    [Theory]
    [InlineData("/etc")]
    [InlineData("..")]
    [InlineData("../work-other")]
    [InlineData("a/../..")]
    [InlineData(".")]
    [InlineData("")]
    public void Combine_refuses_what_leads_outside_or_to_the_root_itself(string part)
    {
        string root = Path.Combine(scratch, "work");
        var error = Assert.Throws<ArgumentException>(() => ConfinedPaths.Combine(root, part));
        Assert.Contains("leads outside", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sibling_folder_sharing_the_root_as_a_prefix_is_outside()
    {
        Assert.False(ConfinedPaths.IsInside(Path.Combine(scratch, "work"), Path.Combine(scratch, "work-2", "x")));
        Assert.True(ConfinedPaths.IsInside(Path.Combine(scratch, "work"), Path.Combine(scratch, "work", "x")));
    }

    [Fact]
    public void Deletes_inside_the_root_and_refuses_outside_it()
    {
        string root = Path.Combine(scratch, "work");
        string inside = Path.Combine(root, "run", "attempt-1");
        string outside = Path.Combine(scratch, "precious");
        Directory.CreateDirectory(inside);
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "keep.txt"), "keep");

        Assert.Null(ConfinedPaths.TryDeleteDirectory(root, Path.Combine(root, "run")));
        Assert.False(Directory.Exists(Path.Combine(root, "run")));
        Assert.Null(ConfinedPaths.TryDeleteDirectory(root, Path.Combine(root, "gone"))); // already gone: nothing to do

        foreach (string target in new[] { outside, Path.Combine(root, "..", "precious"), root, scratch })
        {
            string? problem = ConfinedPaths.TryDeleteDirectory(root, target);
            Assert.NotNull(problem);
            Assert.StartsWith("refused to delete", problem, StringComparison.Ordinal);
        }
        Assert.Equal("keep", File.ReadAllText(Path.Combine(outside, "keep.txt")));
        Assert.True(Directory.Exists(root));
    }
}
