using System.Text;

namespace SemiSeg.Storage.Tests;

/// <summary>The behaviour every <see cref="IArtifactStore"/> must have; run against each store by a derived class.</summary>
public abstract class ArtifactStoreContract : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("semiseg-store-test-").FullName;
    private IArtifactStore? _store;

    protected IArtifactStore Store => _store ??= CreateStore();

    /// <summary>A fresh, empty store.</summary>
    protected abstract IArtifactStore CreateStore();

    /// <summary>A temp folder for local files, deleted after the test.</summary>
    protected string Scratch => _scratch;

    public virtual void Dispose()
    {
        Directory.Delete(_scratch, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Write_then_read_returns_the_same_bytes()
    {
        byte[] bytes = Enumerable.Range(0, 70_000).Select(i => (byte)(i * 31 % 256)).ToArray();
        await Store.WriteAsync("runs/r1/checkpoint.bin", new MemoryStream(bytes), default);

        await using Stream? stream = await Store.OpenReadAsync("runs/r1/checkpoint.bin", default);
        Assert.NotNull(stream);
        var read = new MemoryStream();
        await stream.CopyToAsync(read);
        Assert.Equal(bytes, read.ToArray());
        Assert.True(await Store.ExistsAsync("runs/r1/checkpoint.bin", default));
    }

    [Fact]
    public async Task Text_round_trips_as_utf8()
    {
        await Store.WriteTextAsync("reports/summary.md", "mIoU 71.3 % — Ž ü ✓\n");
        Assert.Equal("mIoU 71.3 % — Ž ü ✓\n", await Store.ReadTextAsync("reports/summary.md"));
    }

    [Fact]
    public async Task Write_overwrites_an_existing_artifact()
    {
        await Store.WriteTextAsync("metrics/r1.jsonl", "first, and longer than the second");
        await Store.WriteTextAsync("metrics/r1.jsonl", "second");

        Assert.Equal("second", await Store.ReadTextAsync("metrics/r1.jsonl"));
        Assert.Equal(["metrics/r1.jsonl"], await ListAsync(""));
    }

    [Fact]
    public async Task TryCreate_creates_once_and_keeps_the_first_content()
    {
        Assert.True(await Store.TryCreateTextAsync("results/r1.json", "{\"miou\":0.71}"));
        Assert.False(await Store.TryCreateTextAsync("results/r1.json", "{\"miou\":0.99}"));

        Assert.Equal("{\"miou\":0.71}", await Store.ReadTextAsync("results/r1.json"));
    }

    [Fact]
    public async Task TryCreate_with_identical_content_counts_as_success()
    {
        // A retried or repeated commit of the same bytes is idempotent.
        Assert.True(await Store.TryCreateTextAsync("results/r1.json", "{\"miou\":0.71}"));
        Assert.True(await Store.TryCreateTextAsync("results/r1.json", "{\"miou\":0.71}"));
    }

    [Fact]
    public async Task Concurrent_TryCreate_has_exactly_one_winner()
    {
        // Several rounds: a check-then-rename race loses only some of them.
        for (int round = 0; round < 10; round++)
        {
            string path = $"results/contested-{round}.json";
            using var start = new ManualResetEventSlim();
            Task<bool>[] writers = Enumerable.Range(0, 8)
                .Select(i => Task.Run(async () =>
                {
                    start.Wait();
                    return await Store.TryCreateTextAsync(path, $"writer {i}");
                }))
                .ToArray();
            start.Set();
            bool[] won = await Task.WhenAll(writers);

            Assert.Single(won, w => w);
            int winner = Array.IndexOf(won, true);
            Assert.Equal($"writer {winner}", await Store.ReadTextAsync(path));
        }
        Assert.Equal(Enumerable.Range(0, 10).Select(r => $"results/contested-{r}.json").Order(StringComparer.Ordinal), await ListAsync("results/"));
    }

    [Fact]
    public async Task List_returns_paths_under_a_prefix_in_ordinal_order()
    {
        foreach (string path in new[] { "runs/b/2.json", "runs/a/9.json", "runs/a/10.json", "runs/a/1.json", "runsx/z.json", "other/q.json" })
            await Store.WriteTextAsync(path, path);

        Assert.Equal(["runs/a/1.json", "runs/a/10.json", "runs/a/9.json", "runs/b/2.json"], await ListAsync("runs/"));
        Assert.Equal(["runs/a/1.json", "runs/a/10.json"], await ListAsync("runs/a/1"));
        Assert.Equal(["runs/a/1.json", "runs/a/10.json", "runs/a/9.json", "runs/b/2.json", "runsx/z.json"], await ListAsync("runs"));
        Assert.Equal(6, (await ListAsync("")).Count);
        Assert.Empty(await ListAsync("missing/"));
    }

    [Fact]
    public async Task Missing_artifacts_read_as_null_and_false()
    {
        Assert.Null(await Store.OpenReadAsync("nothing/here.bin", default));
        Assert.Null(await Store.ReadTextAsync("nothing/here.txt"));
        Assert.False(await Store.ExistsAsync("nothing/here.txt", default));

        string local = Path.Combine(Scratch, "download.txt");
        Assert.False(await Store.DownloadFileAsync("nothing/here.txt", local));
        Assert.False(File.Exists(local));
    }

    [Fact]
    public async Task Delete_removes_and_is_idempotent()
    {
        await Store.DeleteAsync("never/written.txt", default);
        await Store.WriteTextAsync("tmp/a.txt", "a");

        await Store.DeleteAsync("tmp/a.txt", default);
        await Store.DeleteAsync("tmp/a.txt", default);

        Assert.False(await Store.ExistsAsync("tmp/a.txt", default));
        Assert.Empty(await ListAsync("tmp/"));
    }

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("/runs/a.json", "it starts with '/'")]
    [InlineData("runs//a.json", "empty segment")]
    [InlineData("runs/", "empty segment")]
    [InlineData("../secrets.txt", "'..' segment")]
    [InlineData("runs/../../x", "'..' segment")]
    [InlineData("./a", "'.' segment")]
    [InlineData("runs\\a.json", "backslash")]
    public async Task Invalid_paths_are_rejected_with_the_path_in_the_message(string path, string problem)
    {
        var errors = new List<ArgumentException>
        {
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.WriteTextAsync(path, "x")),
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.TryCreateTextAsync(path, "x")),
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.OpenReadAsync(path, default)),
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.ExistsAsync(path, default)),
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.DeleteAsync(path, default)),
        };
        foreach (ArgumentException error in errors)
        {
            Assert.StartsWith($"artifact path '{path}' is invalid: ", error.Message, StringComparison.Ordinal);
            Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task List_rejects_an_invalid_prefix()
    {
        var error = await Assert.ThrowsAnyAsync<ArgumentException>(() => ListAsync("/runs"));
        Assert.Contains("artifact path '/runs' is invalid: it starts with '/'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upload_and_download_files_replace_the_target_whole()
    {
        string source = Path.Combine(Scratch, "checkpoint.pt");
        byte[] bytes = Enumerable.Range(0, 300_000).Select(i => (byte)(i % 251)).ToArray();
        await File.WriteAllBytesAsync(source, bytes);
        await Store.UploadFileAsync("runs/r1/checkpoint.pt", source);

        string target = Path.Combine(Scratch, "restore", "checkpoint.pt");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        await File.WriteAllTextAsync(target, "an older checkpoint");
        Assert.True(await Store.DownloadFileAsync("runs/r1/checkpoint.pt", target));

        Assert.Equal(bytes, await File.ReadAllBytesAsync(target));
        Assert.Equal(["checkpoint.pt"], Directory.GetFiles(Path.GetDirectoryName(target)!).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Readers_never_see_a_partial_overwrite()
    {
        const int size = 200_000;
        byte[] a = Enumerable.Repeat((byte)'a', size).ToArray(), b = Enumerable.Repeat((byte)'b', size).ToArray();
        await Store.WriteAsync("live.bin", new MemoryStream(a), default);

        using var done = new CancellationTokenSource();
        Task writer = Task.Run(async () =>
        {
            for (int i = 0; i < 20; i++)
                await Store.WriteAsync("live.bin", new MemoryStream(i % 2 == 0 ? b : a), default);
        });
        int reads = 0;
        while (!writer.IsCompleted || reads < 5)
        {
            await using Stream? stream = await Store.OpenReadAsync("live.bin", default);
            var copy = new MemoryStream();
            await stream!.CopyToAsync(copy);
            byte[] seen = copy.ToArray();
            Assert.Equal(size, seen.Length);
            Assert.True(seen.All(x => x == seen[0]), "a reader saw a mix of two versions");
            reads++;
        }
        await writer;
    }

    protected async Task<List<string>> ListAsync(string prefix)
    {
        var paths = new List<string>();
        await foreach (string path in Store.ListAsync(prefix, default))
            paths.Add(path);
        return paths;
    }
}
