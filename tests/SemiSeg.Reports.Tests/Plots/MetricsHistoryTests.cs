using SemiSeg.Reports.Plots;

namespace SemiSeg.Reports.Tests.Plots;

public sealed class MetricsHistoryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("semiseg-metrics-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private const string Train10 = """{"type":"train","step":10,"loss":1.78323,"supervised":1.710569,"consistency":0.1453239,"lr":0.00099,"images_per_second":34.97,"elapsed_seconds":4.575}""";
    private const string Eval10 = """{"type":"eval","step":10,"metric":"mIoU","value":6.6705,"pixel_accuracy":71.0702,"per_class":{"background":71.2297,"Bag":null}}""";
    private const string EvalAccuracy = """{"type":"eval","step":20,"metric":"accuracy","value":50.5,"per_class":{}}""";

    private string Write(string text)
    {
        string path = Path.Combine(_root, $"m{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void ReadsTrainAndEvalRecords()
    {
        var history = MetricsHistory.Read(Write($"{Train10}\n{Eval10}\n{EvalAccuracy}\n{{\"type\":\"future-kind\",\"step\":3}}\n"));

        var train = Assert.Single(history.Train);
        Assert.Equal(new TrainPoint(10, 1.78323, 1.710569, 0.1453239, 0.00099), train);
        Assert.Equal(2, history.Eval.Count);
        Assert.Equal(new EvalPoint(10, "mIoU", 6.6705, 71.0702), history.Eval[0]);
        Assert.Null(history.Eval[1].PixelAccuracy);
    }

    [Fact]
    public void ATornLastLineIsSkipped()
    {
        var history = MetricsHistory.Read(Write($"{Train10}\n{Eval10}\n{Train10[..40]}"));
        Assert.Single(history.Train);
        Assert.Single(history.Eval);
    }

    [Fact]
    public void GarbageInTheMiddleIsAnErrorNamingFileAndLine()
    {
        string path = Write($"{Train10}\n{Train10[..40]}\n{Eval10}\n");
        var error = Assert.Throws<MetricsFileException>(() => MetricsHistory.Read(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("line 2 is not valid JSON", error.Message);
        Assert.Contains("Fix:", error.Message);
    }

    [Fact]
    public void ACompleteButInvalidLastLineIsAnError()
    {
        // Ends with a newline: not a torn append, so the file really is corrupt.
        var error = Assert.Throws<MetricsFileException>(() => MetricsHistory.Read(Write($"{Train10}\nnot json at all\n")));
        Assert.Contains("line 2", error.Message);
    }

    [Fact]
    public void ARecordWithoutItsFieldsIsAnError()
    {
        var missing = Assert.Throws<MetricsFileException>(() => MetricsHistory.Read(Write($"{Train10}\n{{\"type\":\"eval\",\"step\":5}}\n")));
        Assert.Contains("line 2 is not a metrics record", missing.Message);
        var wrongType = Assert.Throws<MetricsFileException>(() => MetricsHistory.Read(Write("{\"type\":\"train\",\"step\":\"ten\",\"loss\":1}\n")));
        Assert.Contains("line 1", wrongType.Message);
        var noType = Assert.Throws<MetricsFileException>(() => MetricsHistory.Read(Write("[1, 2, 3]\n")));
        Assert.Contains("line 1", noType.Message);
    }

    [Fact]
    public void AMissingFileSaysWhereRunsKeepTheirMetrics()
    {
        string path = Path.Combine(_root, "nope", "metrics.jsonl");
        var error = Assert.Throws<MetricsFileException>(() => MetricsHistory.Read(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("file not found", error.Message);
        Assert.Contains("attempt-N", error.Message);
    }
}
