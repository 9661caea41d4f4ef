using SemiSeg.Training.Running;
using SemiSeg.Training.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Tests.Running;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("semiseg-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static CheckpointHeader Header(int step, string hash = "abc") =>
        new(Checkpoint.FormatVersion, step, 7, hash, true, "counter", DateTimeOffset.UnixEpoch);

    private static (TinyNetwork Student, TinyNetwork Teacher, TorchSharp.Modules.Adam Optimizer) TrainedState(int seed)
    {
        manual_seed(seed);
        var student = new TinyNetwork();
        var teacher = new TinyNetwork();
        var optimizer = optim.Adam(student.parameters(), 0.01);
        for (int i = 0; i < 3; i++)
        {
            optimizer.zero_grad();
            student.call(rand(2, 3, 4, 4)).square().mean().backward();
            optimizer.step();
        }
        return (student, teacher, optimizer);
    }

    [Fact]
    public void RoundTripRestoresStudentTeacherAndOptimizer()
    {
        using var scope = NewDisposeScope();
        var (student, teacher, optimizer) = TrainedState(1);
        string path = Path.Combine(_folder, Checkpoint.FileName(3));
        Checkpoint.Write(path, Header(3), student, teacher, optimizer);

        var (student2, teacher2, optimizer2) = TrainedState(2);
        var header = Checkpoint.Load(path, "abc", student2, teacher2, optimizer2);

        Assert.Equal(3, header.Step);
        Assert.Equal(7, header.Seed);
        var s = student.state_dict();
        Assert.All(student2.state_dict(), kv => Assert.True(Tensors.Same(kv.Value, s[kv.Key]), kv.Key));
        var t = teacher.state_dict();
        Assert.All(teacher2.state_dict(), kv => Assert.True(Tensors.Same(kv.Value, t[kv.Key]), kv.Key));

        // Same optimizer state: one more identical step gives identical weights.
        var x = rand(2, 3, 4, 4);
        foreach (var (model, opt) in new[] { (student, optimizer), (student2, optimizer2) })
        {
            opt.zero_grad();
            model.call(x).square().mean().backward();
            opt.step();
        }
        s = student.state_dict();
        Assert.All(student2.state_dict(), kv => Assert.True(Tensors.Same(kv.Value, s[kv.Key]), kv.Key));
    }

    [Fact]
    public void CorruptCheckpointIsAClearError()
    {
        using var scope = NewDisposeScope();
        var (student, teacher, optimizer) = TrainedState(1);
        string path = Path.Combine(_folder, Checkpoint.FileName(3));
        Checkpoint.Write(path, Header(3), student, teacher, optimizer);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, "abc", student, teacher, optimizer));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("corrupt", error.Message, StringComparison.Ordinal);
        Assert.Contains("Fix:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedCheckpointIsAClearError()
    {
        using var scope = NewDisposeScope();
        var (student, teacher, optimizer) = TrainedState(1);
        string path = Path.Combine(_folder, Checkpoint.FileName(3));
        Checkpoint.Write(path, Header(3), student, teacher, optimizer);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..100]);

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, "abc", student, teacher, optimizer));
        Assert.Contains("corrupt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckpointOfAnotherConfigIsRejected()
    {
        using var scope = NewDisposeScope();
        var (student, teacher, optimizer) = TrainedState(1);
        string path = Path.Combine(_folder, Checkpoint.FileName(3));
        Checkpoint.Write(path, Header(3, hash: "aaaaaaaaaaaaaaaa"), student, teacher, optimizer);

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, "bbbbbbbbbbbbbbbb", student, teacher, optimizer));
        Assert.Contains("different run config", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckpointOfAnotherModelIsRejected()
    {
        using var scope = NewDisposeScope();
        var (student, teacher, optimizer) = TrainedState(1);
        string path = Path.Combine(_folder, Checkpoint.FileName(3));
        Checkpoint.Write(path, Header(3), student, teacher, optimizer);
        var wider = new TinyNetwork(width: 6);
        var widerTeacher = new TinyNetwork(width: 6);

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, "abc", wider, widerTeacher, optim.Adam(wider.parameters(), 0.01)));
        Assert.Contains("does not fit this model", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NotACheckpointIsAClearError()
    {
        string path = Path.Combine(_folder, "junk.ckpt");
        File.WriteAllText(path, "hello, this is not a checkpoint at all, just text that is long enough");
        var error = Assert.Throws<CheckpointException>(() => Checkpoint.ReadHeader(path));
        Assert.Contains("not a SemiSeg checkpoint", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A checkpoint with a valid hash but a crafted header: what the hash cannot catch must still be a
    /// <see cref="CheckpointException"/> naming the file, never a JSON or argument exception.</summary>
    [Theory]
    [InlineData("not json at all", "the header is not a checkpoint header")]
    [InlineData("{\"format\": \"one\"}", "the header is not a checkpoint header")]
    [InlineData("null", "lacks its config hash")]
    [InlineData("{\"format\": 1, \"step\": 3}", "lacks its config hash")]
    [InlineData("{\"format\": 1, \"step\": -3, \"config_sha256\": \"a\", \"rng\": \"r\", \"has_teacher\": false, \"seed\": 1, \"created_utc\": \"2026-01-01T00:00:00Z\"}", "the header's step -3 is negative")]
    public void ACraftedHeaderIsACheckpointError(string headerJson, string expected)
    {
        string path = Path.Combine(_folder, "crafted.ckpt");
        WriteRaw(path, w =>
        {
            byte[] json = System.Text.Encoding.UTF8.GetBytes(headerJson);
            w.Write(json.Length);
            w.Write(json);
            w.Write(0L);
            w.Write(0L);
            w.Write(0L);
        });

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.ReadHeader(path));
        Assert.StartsWith($"{path}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("Fix:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-5)]
    [InlineData(0)]
    [InlineData(int.MaxValue)]
    public void AHeaderLengthThatDoesNotFitIsACheckpointError(int length)
    {
        string path = Path.Combine(_folder, "length.ckpt");
        WriteRaw(path, w =>
        {
            w.Write(length);
            w.Write("{}"u8);
        });

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.ReadHeader(path));
        Assert.Contains($"the header length {length} does not fit the file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASectionLengthThatDoesNotFitIsACheckpointError()
    {
        using var scope = NewDisposeScope();
        var (student, teacher, optimizer) = TrainedState(1);
        string path = Path.Combine(_folder, "section.ckpt");
        WriteRaw(path, w =>
        {
            byte[] json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(Header(1));
            w.Write(json.Length);
            w.Write(json);
            w.Write(long.MaxValue / 2);
        });

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, "abc", student, teacher, optimizer));
        Assert.Contains($"{path}: checkpoint state does not fit", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not fit the", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Magic, then what <paramref name="body"/> writes, then the SHA-256 of it all (as a real checkpoint).</summary>
    private static void WriteRaw(string path, Action<BinaryWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write("SEMISEG-CKPT\n"u8);
            body(writer);
        }
        byte[] bytes = buffer.ToArray();
        File.WriteAllBytes(path, [.. bytes, .. System.Security.Cryptography.SHA256.HashData(bytes)]);
    }
}
