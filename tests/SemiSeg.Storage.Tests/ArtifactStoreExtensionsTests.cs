namespace SemiSeg.Storage.Tests;

public sealed class ArtifactStoreExtensionsTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("semiseg-ext-test-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public async Task A_download_that_fails_midway_leaves_the_old_file_and_no_temp_file()
    {
        var store = new LocalArtifactStore(Path.Combine(_scratch, "store"));
        await store.WriteAsync("big.bin", new MemoryStream(new byte[1_000_000]), default);
        string target = Path.Combine(_scratch, "local", "big.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        await File.WriteAllTextAsync(target, "old");

        var failing = new FailingReads(store, failAfterBytes: 300_000);
        var error = await Assert.ThrowsAsync<IOException>(() => failing.DownloadFileAsync("big.bin", target));

        Assert.Equal("injected: connection lost mid-download", error.Message);
        Assert.Equal("old", await File.ReadAllTextAsync(target));
        Assert.Equal(["big.bin"], Directory.GetFiles(Path.GetDirectoryName(target)!).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Text_is_written_without_a_byte_order_mark()
    {
        var store = new LocalArtifactStore(Path.Combine(_scratch, "store"));
        await store.WriteTextAsync("a.txt", "é");
        Assert.Equal(new byte[] { 0xC3, 0xA9 }, await File.ReadAllBytesAsync(Path.Combine(_scratch, "store", "a.txt")));
    }

    /// <summary>A store whose read streams break after some bytes.</summary>
    private sealed class FailingReads(IArtifactStore inner, int failAfterBytes) : IArtifactStore
    {
        public string Location => inner.Location;
        public Task WriteAsync(string path, Stream content, CancellationToken ct) => inner.WriteAsync(path, content, ct);
        public Task<bool> TryCreateAsync(string path, Stream content, CancellationToken ct) => inner.TryCreateAsync(path, content, ct);
        public Task<bool> ExistsAsync(string path, CancellationToken ct) => inner.ExistsAsync(path, ct);
        public IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken ct) => inner.ListAsync(prefix, ct);
        public Task DeleteAsync(string path, CancellationToken ct) => inner.DeleteAsync(path, ct);

        public async Task<Stream?> OpenReadAsync(string path, CancellationToken ct)
        {
            Stream? stream = await inner.OpenReadAsync(path, ct);
            return stream is null ? null : new BreakingStream(stream, failAfterBytes);
        }
    }

    private sealed class BreakingStream(Stream inner, int failAfterBytes) : Stream
    {
        private int _read;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_read >= failAfterBytes)
                throw new IOException("injected: connection lost mid-download");
            int n = inner.Read(buffer, offset, Math.Min(count, failAfterBytes - _read));
            _read += n;
            return n;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
