using System.Text.Json;
using SemiSeg.Cli.Commands;
using SemiSeg.Client;
using SemiSeg.Contracts;
using SemiSeg.Sweeps;
using SemiSeg.Training.Config;

namespace SemiSeg.Training.Tests.Cli;

/// <summary>What a report says about cells that the paper's table does not contain, and how its mIoU was averaged.</summary>
public class AuthorsCodeNotesTests
{
    private static string Config(string teacher, string variant)
    {
        var config = new RunConfig { Algorithm = new AlgorithmConfig { Teacher = teacher, Variant = variant } };
        return RunConfigLoader.ToCanonicalJson(config);
    }

    [Fact]
    public void TheNotesNameExactlyTheMeanTeacherOneWayPerturbTeacherCellsPresent()
    {
        Assert.Empty(AuthorsCodeNotes.For([Config(TeacherNames.None, VariantNames.OneWayPerturbStudent), Config(TeacherNames.Simple, VariantNames.OneWayPerturbTeacher), Config(TeacherNames.MeanTeacher, VariantNames.OneWayPerturbStudent)]));
        Assert.Equal([AuthorsCodeNotes.PrincipledMeanTeacherOneWayPerturbTeacher], AuthorsCodeNotes.For([Config(TeacherNames.MeanTeacher, VariantNames.OneWayPerturbTeacher)]));
        Assert.Equal([AuthorsCodeNotes.AuthorsMeanTeacherOneWayPerturbTeacher], AuthorsCodeNotes.For([Config(TeacherNames.MeanTeacher, VariantNames.OneWayPerturbTeacherVidlu)]));
        Assert.Equal(2, AuthorsCodeNotes.For([Config(TeacherNames.MeanTeacher, VariantNames.OneWayPerturbTeacherVidlu), Config(TeacherNames.MeanTeacher, VariantNames.OneWayPerturbTeacher)]).Count);
        // Unreadable or foreign configs add no note (and no error: the report must still be written).
        Assert.Empty(AuthorsCodeNotes.For(["{not json", "{\"algorithm\": 3}"]));
    }

    [Fact]
    public async Task TheShippedCityscapesConsistencyManifestGetsBothNotesUnderItsTable()
    {
        string root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
        var manifest = SweepManifest.Load(Path.Combine(root, "sweeps", "paper", "consistency-variants-cityscapes.yaml"));
        // Cityscapes is not here, so the runs get a stand-in dataset identity (SweepSpecs.FromManifest would read it).
        var labels = manifest.Cells.ToDictionary(c => c.Key, c => new Dictionary<string, string>(c.Labels));
        var runs = manifest.Runs("test", _ => "no-data").Select(r => new RunSpec(r.Key, r.CellKey, r.Seed, labels[r.CellKey], RunConfigLoader.ToCanonicalJson(r.Config))).ToArray();
        var spec = new SweepSpec(manifest.Id, "consistency-variants-cityscapes.yaml", "", "", SweepSpecs.ToReportSpec(manifest.Report), runs);
        var results = new SweepResults(spec.SweepId, SweepState.Running, spec.Report,
            spec.Runs.Select(r => new RunRow(r.RunKey, r.CellKey, r.Seed, r.Labels, RunState.Pending, null, null, null, 0)).ToArray());
        string folder = Directory.CreateTempSubdirectory("semiseg-notes-").FullName;
        try
        {
            await SweepReportWriter.WriteAsync(null, "none", spec, results, folder, new ReportOptions { PanelExamples = 0 });

            string report = File.ReadAllText(Path.Combine(folder, "report.md"));
            int table = report.IndexOf("| teacher \\ variant |", StringComparison.Ordinal);
            int principled = report.IndexOf(AuthorsCodeNotes.PrincipledMeanTeacherOneWayPerturbTeacher, StringComparison.Ordinal);
            int authors = report.IndexOf(AuthorsCodeNotes.AuthorsMeanTeacherOneWayPerturbTeacher, StringComparison.Ordinal);
            int notesSection = report.IndexOf("## Notes", StringComparison.Ordinal);
            Assert.True(table >= 0 && principled > table && authors > principled && notesSection > authors, report);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void ProvenanceSaysHowMeanIoUWasAveraged()
    {
        static JsonDocument Result(string json) => JsonDocument.Parse(json);
        using var all = Result("""{"metric": "mIoU", "miou_classes": "all", "value": 20.0}""");
        using var present = Result("""{"metric": "mIoU", "miou_classes": "present", "value": 20.0}""");
        using var old = Result("""{"metric": "mIoU", "value": 20.0}""");
        using var accuracy = Result("""{"metric": "accuracy", "value": 80.0}""");

        Assert.StartsWith("over all classes, a class absent from both ground truth and prediction counting as 0", SweepReportWriter.MiouAveraging([all, all]));
        Assert.StartsWith("over the classes present in ground truth or prediction (data.miou_classes: present)", SweepReportWriter.MiouAveraging([present]));
        Assert.Contains("not recorded: written before trainer 2026.12.3", SweepReportWriter.MiouAveraging([old]));
        // Mixed sweeps list every averaging, so a table that mixes them cannot hide it.
        Assert.Equal(2, SweepReportWriter.MiouAveraging([all, present])!.Split("; ").Length);
        Assert.Null(SweepReportWriter.MiouAveraging([accuracy]));
        Assert.Null(SweepReportWriter.MiouAveraging([]));
    }
}
