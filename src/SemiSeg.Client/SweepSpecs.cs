using System.Security.Cryptography;
using System.Text;
using SemiSeg.Contracts;
using SemiSeg.Sweeps;
using SemiSeg.Training.Config;
using SemiSeg.Training.Data;
using SemiSeg.Training.Running;

namespace SemiSeg.Client;

/// <summary>Turns a manifest into what the cluster runs: every run's content key and canonical config, so the
/// cluster needs neither the manifest's files nor its folder.</summary>
public static class SweepSpecs
{
    public static SweepSpec FromManifest(string manifestPath)
    {
        var manifest = SweepManifest.Load(manifestPath, out string text);
        return From(manifest, text, manifestPath);
    }

    public static SweepSpec From(SweepManifest manifest, string manifestText, string manifestFile)
    {
        // The data a run sees is part of its key; computing it once per distinct data config keeps this quick.
        var identities = new Dictionary<string, string>();
        string Identity(DataConfig data)
        {
            string json = RunConfigLoader.ToCanonicalJson(new RunConfig { Data = data });
            if (!identities.TryGetValue(json, out string? identity))
            {
                identity = DatasetFactory.Create(data, Split.Train).Info.Identity;
                identities[json] = identity;
            }
            return identity;
        }
        var labels = manifest.Cells.ToDictionary(c => c.Key, c => new Dictionary<string, string>(c.Labels));
        var runs = manifest.Runs(TrainerVersion.Current, Identity)
            .Select(r => new RunSpec(r.Key, r.CellKey, r.Seed, labels[r.CellKey], RunConfigLoader.ToCanonicalJson(r.Config)))
            .ToArray();
        string sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(manifestText)));
        return new SweepSpec(manifest.Id, manifestFile, manifestText, sha,
            ToReportSpec(manifest.Report), runs);
    }

    /// <summary>A manifest's report layout as the cluster carries it.</summary>
    public static ReportSpec ToReportSpec(ReportLayout layout) =>
        new([.. layout.Rows], [.. layout.Columns], layout.Metric,
            layout.Baseline is null ? null : new Dictionary<string, string>(layout.Baseline), LowerIsBetter: !layout.HigherIsBetter);

    /// <summary>The report layout back from what the cluster carries (e.g. in <see cref="SweepResults"/>).</summary>
    public static ReportLayout ToReportLayout(ReportSpec spec) =>
        new(spec.Rows, spec.Columns, spec.Metric, spec.Baseline, HigherIsBetter: !spec.LowerIsBetter);
}
