using SemiSeg.Training.Config;
using SemiSeg.Training.Data;
using SemiSeg.Training.Running;
using SemiSeg.Training.Tests.Support;

namespace SemiSeg.Training.Tests.Running;

/// <summary>Two tiny real runs (2 steps each), shared by the tests.</summary>
public sealed class PredictorRuns : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("semiseg-predictor-").FullName;
    public string Supervised => Path.Combine(Root, "supervised");
    public string MeanTeacher => Path.Combine(Root, "mt");

    public PredictorRuns()
    {
        Trainer.Run(new RunRequest { Config = TinyRuns.Config(steps: 2), OutputDirectory = Supervised });
        Trainer.Run(new RunRequest { Config = TinyRuns.Config(TeacherNames.MeanTeacher, steps: 2), OutputDirectory = MeanTeacher });
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

[Collection(TrainingRuns.Name)]
public sealed class PredictorTests(PredictorRuns runs) : IClassFixture<PredictorRuns>
{
    [Fact]
    public void PredictsTheFirstValidationExamplesWithMatchingShapes()
    {
        var prediction = Predictor.Predict(runs.Supervised, count: 3);

        Assert.Equal(DatasetNames.FashionScenes, prediction.Dataset);
        Assert.Equal(11, prediction.ClassNames.Count);
        Assert.Equal(2, prediction.Step);
        Assert.False(prediction.UsedTeacher);
        Assert.EndsWith(Checkpoint.FileName(2), prediction.CheckpointPath);
        Assert.Equal([0, 1, 2], prediction.Examples.Select(e => e.Index));
        foreach (var example in prediction.Examples)
        {
            Assert.Equal((32, 32), (example.Height, example.Width));
            Assert.Equal(32 * 32 * 3, example.Rgb.Length);
            Assert.Equal(32 * 32, example.GroundTruth.Length);
            Assert.Equal(32 * 32, example.Prediction.Length);
            Assert.All(example.GroundTruth, label => Assert.InRange(label, 0, 10)); // FashionScenes has no ignore label
            Assert.All(example.Prediction, label => Assert.InRange(label, 0, 10));
            Assert.Contains(example.GroundTruth, label => label > 0); // every scene has at least one item
        }

        // The image and labels are the dataset's validation scene as is (× 255, HWC), not an augmented crop.
        var scenes = DatasetFactory.Create(TinyRuns.Config().Data, Split.Val);
        var (image, labels) = scenes.Get(1);
        float[] chw = image.data<float>().ToArray();
        long[] expectedLabels = labels.data<long>().ToArray();
        var example1 = prediction.Examples[1];
        for (int p = 0; p < 32 * 32; p += 37)
        {
            for (int c = 0; c < 3; c++)
            {
                Assert.Equal((byte)Math.Round(chw[c * 32 * 32 + p] * 255), example1.Rgb[3 * p + c]);
            }
            Assert.Equal(expectedLabels[p], example1.GroundTruth[p]);
        }
    }

    [Fact]
    public void PredictionsAreThoseTheTrainerEvaluated()
    {
        // The tiny runs evaluate all 8 validation scenes: the predictor's pixel accuracy must be the one in result.json.
        var prediction = Predictor.Predict(runs.Supervised, count: 8);
        long correct = prediction.Examples.Sum(e => e.Prediction.Zip(e.GroundTruth).Count(p => p.First == p.Second));
        long total = prediction.Examples.Sum(e => e.GroundTruth.Count(label => label >= 0));
        var result = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(runs.Supervised, Trainer.ResultFile))).RootElement;
        Assert.Equal(result.GetProperty("pixel_accuracy").GetDouble(), Math.Round(100.0 * correct / total, 4), 6);
    }

    [Fact]
    public void PredictionsAreDeterministicAndCountIsCappedBySplitSize()
    {
        var first = Predictor.Predict(runs.Supervised, count: 2);
        var again = Predictor.Predict(Path.Combine(runs.Supervised, Trainer.ConfigFile), first.CheckpointPath, count: 2);
        Assert.Equal(first.Examples[1].Prediction, again.Examples[1].Prediction);

        Assert.Equal(8, Predictor.Predict(runs.Supervised, count: 100).Examples.Count); // the tiny val split has 8 scenes
    }

    [Fact]
    public void MeanTeacherRunsPredictWithTheStudentUnlessAskedForTheTeacher()
    {
        var student = Predictor.Predict(runs.MeanTeacher, count: 1);
        var teacher = Predictor.Predict(runs.MeanTeacher, count: 1, useTeacher: true);
        Assert.False(student.UsedTeacher);
        Assert.True(teacher.UsedTeacher);
        Assert.All(teacher.Examples[0].Prediction, label => Assert.InRange(label, 0, 10));

        var noTeacher = Assert.Throws<CheckpointException>(() => Predictor.Predict(runs.Supervised, count: 1, useTeacher: true));
        Assert.Contains("no Mean Teacher weights", noTeacher.Message);
    }

    [Fact]
    public void BadRunFoldersGiveClearErrors()
    {
        string empty = Directory.CreateDirectory(Path.Combine(runs.Root, "empty")).FullName;
        var noCheckpoint = Assert.Throws<CheckpointException>(() => Predictor.Predict(empty, count: 1));
        Assert.Contains("no step-*.ckpt", noCheckpoint.Message);
        Assert.Contains("Fix:", noCheckpoint.Message);

        string checkpoint = Directory.GetFiles(Path.Combine(runs.Supervised, Trainer.CheckpointFolder)).Single();
        var noConfig = Assert.Throws<ConfigException>(() => Predictor.Predict(Path.Combine(empty, "config.json"), checkpoint, count: 1));
        Assert.Contains("config.json does not exist", noConfig.Message);

        // The MT run's checkpoint with the supervised run's config: another config's checkpoint.
        string mtCheckpoint = Directory.GetFiles(Path.Combine(runs.MeanTeacher, Trainer.CheckpointFolder)).Single();
        var mismatch = Assert.Throws<CheckpointException>(() => Predictor.Predict(Path.Combine(runs.Supervised, Trainer.ConfigFile), mtCheckpoint, count: 1));
        Assert.Contains("different run config", mismatch.Message);

        string corrupt = Path.Combine(empty, "step-0000002.ckpt");
        byte[] bytes = File.ReadAllBytes(checkpoint);
        bytes[bytes.Length / 2] ^= 0xff;
        File.WriteAllBytes(corrupt, bytes);
        var corrupted = Assert.Throws<CheckpointException>(() => Predictor.Predict(Path.Combine(runs.Supervised, Trainer.ConfigFile), corrupt, count: 1));
        Assert.Contains("corrupt", corrupted.Message);
    }
}
