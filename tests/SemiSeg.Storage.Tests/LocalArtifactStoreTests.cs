namespace SemiSeg.Storage.Tests;

public sealed class LocalArtifactStoreTests : ArtifactStoreContract
{
    protected override IArtifactStore CreateStore() => new LocalArtifactStore(Path.Combine(Scratch, "store"));

    [Fact]
    public void Location_names_the_absolute_root()
    {
        Assert.Equal("local:" + Path.Combine(Scratch, "store"), Store.Location);
    }

    [Fact]
    public async Task Files_land_under_the_root_and_temp_files_are_not_listed()
    {
        await Store.WriteTextAsync("runs/r1/result.json", "{}");
        Assert.Equal("{}", await File.ReadAllTextAsync(Path.Combine(Scratch, "store", "runs", "r1", "result.json")));

        // What a crash between writing and renaming leaves behind.
        await File.WriteAllTextAsync(Path.Combine(Scratch, "store", "runs", "r1", ".result.json.0123.semiseg-tmp"), "partial");

        Assert.Equal(["runs/r1/result.json"], await ListAsync(""));
        Assert.Equal(2, Directory.GetFiles(Path.Combine(Scratch, "store", "runs", "r1")).Length);
    }

    [Fact]
    public async Task Writes_leave_no_temp_files()
    {
        await Store.WriteTextAsync("a/x.txt", "1");
        await Store.WriteTextAsync("a/x.txt", "2");
        await Store.TryCreateTextAsync("a/y.txt", "1");
        await Store.TryCreateTextAsync("a/y.txt", "2");

        Assert.Equal(["x.txt", "y.txt"], Directory.GetFiles(Path.Combine(Scratch, "store", "a")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_temp_suffix_is_reserved()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Store.WriteTextAsync("a/x.semiseg-tmp", "1"));
        Assert.StartsWith("artifact path 'a/x.semiseg-tmp' is invalid: the suffix .semiseg-tmp is reserved for temp files", error.Message, StringComparison.Ordinal);
    }
}
